/**
 * ExpositionWriter appends an exposition to a Buffer that grows by doubling. A scrape of 100k rules is
 * 200k lines and 10–20 MB: built as JS strings (a part per line, then one joined string, then its UTF-8
 * copy for the socket) it cost three times the body in short-lived heap and most of a scrape's time.
 * Written here, the body exists once, outside the JS heap, and is handed to the socket as it is; or in
 * chunks (take()), so that a large one can be compressed and sent while the rest is written.
 */
export class ExpositionWriter {
  #buf: Buffer;
  #at = 0;

  constructor(sizeHint = 64 * 1024) {
    this.#buf = pieceBuffer(Math.max(1024, sizeHint));
  }

  /** text appends a string as UTF-8. */
  text(s: string): void {
    this.#reserve(3 * s.length);
    this.#at += (this.#buf as unknown as Utf8Writable).utf8Write(s, this.#at);
  }

  /**
   * bytes appends bytes already encoded: a copy within the JS engine, where text() crosses into C++ (at
   * 200k lines, once per line for the metric name was a fifth of the writing time).
   */
  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#at);
    this.#at += b.length;
  }

  /** byte appends one ASCII character given as its code. */
  byte(code: number): void {
    this.#reserve(1);
    this.#buf[this.#at++] = code;
  }

  /**
   * u64 appends the decimal digits of element `index` of a BigUint64Array, given as its 32-bit words
   * (little-endian pairs): reading the element itself would allocate a bigint for every sample. Values
   * up to 2^53 are exact as doubles; larger ones go through bigint.
   */
  u64(words: Uint32Array, index: number): void {
    const lo = words[2 * index] as number;
    const hi = words[2 * index + 1] as number;
    if (hi >= 2 ** 21) {
      this.text(((BigInt(hi) << 32n) | BigInt(lo)).toString());
      return;
    }
    this.#uint(hi * 2 ** 32 + lo);
  }

  /** #uint appends a non-negative integer below 2^53. */
  #uint(value: number): void {
    let digits = 1;
    while (digits < POW10.length && value >= (POW10[digits] as number)) digits++;
    this.#reserve(digits);
    let at = this.#at + digits;
    let v = value;
    do {
      const q = Math.floor(v / 10);
      this.#buf[--at] = 48 + (v - q * 10); // 48 + v could round above 2^53
      v = q;
    } while (v > 0);
    this.#at += digits;
  }

  /** length is how many bytes are written and not yet taken. */
  get length(): number {
    return this.#at;
  }

  /**
   * take hands over what is written so far and goes on in a buffer of the same size: a spare one that was
   * given back (releasePiece), or a fresh one.
   */
  take(): Buffer {
    const chunk = this.#buf.subarray(0, this.#at);
    this.#buf = pieceBuffer(this.#buf.length);
    this.#at = 0;
    return chunk;
  }

  /** finish returns the exposition written so far (a view of the writer's buffer). */
  finish(): Buffer {
    return this.#buf.subarray(0, this.#at);
  }

  #reserve(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#buf.length, this.#at + bytes));
    this.#buf.copy(grown, 0, 0, this.#at);
    this.#buf = grown;
  }
}

/**
 * Spare piece buffers, by size. The server gives each piece back (releasePiece) once the compressor or
 * the socket is done with it, and a later piece is written into it: fresh buffers are freed only at V8's
 * next collection (docs/design-notes.md). Only buffers made here are taken back, each at most once.
 */
const spare = new Map<number, ArrayBuffer[]>();
const ours = new WeakSet<ArrayBuffer>();
const MAX_SPARE_PER_SIZE = 8;

/**
 * Piece sizes are rounded up to this, so that the buffer of one scrape's exposition fits the next one's
 * (a one-piece exposition is sized from the last one's length, which moves with every counter digit).
 */
const PIECE_GRANULE = 64 * 1024;

function pieceBuffer(wanted: number): Buffer {
  const size = Math.ceil(wanted / PIECE_GRANULE) * PIECE_GRANULE;
  const reused = spare.get(size)?.pop();
  if (reused) return Buffer.from(reused);
  const fresh = Buffer.allocUnsafeSlow(size);
  ours.add(fresh.buffer as ArrayBuffer);
  return fresh;
}

/** releasePiece says a piece from ExpositionWriter is no longer read by anyone: its buffer may be reused. */
export function releasePiece(piece: Buffer): void {
  const buffer = piece.buffer as ArrayBuffer;
  if (!ours.has(buffer)) return;
  const list = spare.get(buffer.byteLength) ?? [];
  if (list.length >= MAX_SPARE_PER_SIZE || list.includes(buffer)) return;
  list.push(buffer);
  spare.set(buffer.byteLength, list);
}

/**
 * Buffer's own UTF-8 writer, without Buffer.write's argument parsing: at 200k lines that parsing was a
 * third of the writing time. Every Buffer has it (Node's lib/buffer.js defines write() on top of it).
 */
interface Utf8Writable {
  utf8Write(s: string, offset: number): number;
}

/** 10^0 … 10^15: an integer below 2^53 has at most 16 digits. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
