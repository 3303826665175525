import { ErrorCodes, NfpromError } from "../errors.js";
import { nlaAlign } from "./align.js";
import { hostU16, storeU64Words } from "./byteorder.js";
import { NLA_HDRLEN, NLA_TYPE_MASK } from "./constants.js";

const EMPTY_STACK = new Int32Array(0);

/**
 * u64BETo stores the big-endian u64 at buf[off, off + 8) the way AttributeDecoder.u64To does, for a value
 * whose place in a message is already known (rule-reuse.ts). The caller checks the bounds.
 */
export function u64BETo(buf: Buffer, off: number, words: Uint32Array, at: number): void {
  storeU64Words(buf.readUInt32BE(off), buf.readUInt32BE(off + 4), words, at);
}

/**
 * AttributeDecoder walks the netlink attributes (struct nlattr TLVs) of one buffer, cursor style:
 *
 *     const ad = new AttributeDecoder(buf, "big");
 *     while (ad.next()) switch (ad.type) { case X: v = ad.u64(); break; }
 *     if (ad.err) throw ad.err;
 *
 * The first problem (a header that does not fit, a value of the wrong size) is recorded in `err` and sticks:
 * `next()` returns false from then on and getters return zero values, so callers check `err` once.
 * Integers are read at explicit offsets of the Buffer (never through its backing ArrayBuffer), in the
 * decoder's byte order: "big" for nf_tables payloads, "little" for netlink's own host-order fields.
 */
export class AttributeDecoder {
  err: NfpromError | undefined;
  readonly #buf: Buffer;
  /** The decoder reads #buf[#begin, #end): nesting narrows the range instead of slicing the Buffer. */
  #begin: number;
  #end: number;
  #next: number;
  /** begin, end, next of the enclosing ranges (#depth of them), while descend() has narrowed this decoder. */
  #outer = EMPTY_STACK;
  #depth = 0;
  #type = 0;
  #flags = 0;
  #start = 0;
  #len = 0;

  constructor(
    buf: Buffer,
    readonly byteOrder: "big" | "little",
    begin = 0,
    end = buf.length,
  ) {
    this.#buf = buf;
    this.#begin = begin;
    this.#end = end;
    this.#next = begin;
  }

  /** next advances to the following attribute; false at the end or after an error. */
  next(): boolean {
    if (this.err || this.#next >= this.#end) return false;
    const off = this.#next;
    const at = off - this.#begin; // offsets in messages are relative to what this decoder reads
    const remaining = this.#end - off;
    if (remaining < NLA_HDRLEN)
      return this.#fail(`attribute header at offset ${at}: ${remaining} bytes left`);
    // struct nlattr's own header is host order whatever the payload's byte order.
    const len = hostU16(this.#buf, off);
    const rawType = hostU16(this.#buf, off + 2);
    if (len < NLA_HDRLEN || len > remaining) {
      return this.#fail(
        `attribute ${rawType & NLA_TYPE_MASK} at offset ${at}: length ${len}, ${remaining} bytes left`,
      );
    }
    this.#type = rawType & NLA_TYPE_MASK;
    this.#flags = rawType & ~NLA_TYPE_MASK;
    this.#start = off + NLA_HDRLEN;
    this.#len = len - NLA_HDRLEN;
    this.#next = off + nlaAlign(len);
    return true;
  }

  /** type is the current attribute's type with NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off. */
  get type(): number {
    return this.#type;
  }

  /** flags holds the NLA_F_* bits of the current attribute's type. */
  get flags(): number {
    return this.#flags;
  }

  /** length is the current attribute's payload length. */
  get length(): number {
    return this.#len;
  }

  u8(): number {
    return this.#sized(1, "u8") ? this.#buf.readUInt8(this.#start) : 0;
  }

  u16(): number {
    if (!this.#sized(2, "u16")) return 0;
    return this.byteOrder === "big"
      ? this.#buf.readUInt16BE(this.#start)
      : this.#buf.readUInt16LE(this.#start);
  }

  u32(): number {
    if (!this.#sized(4, "u32")) return 0;
    return this.byteOrder === "big"
      ? this.#buf.readUInt32BE(this.#start)
      : this.#buf.readUInt32LE(this.#start);
  }

  /** u64 returns a bigint: nf_tables counters use the full unsigned 64-bit range. */
  u64(): bigint {
    if (!this.#sized(8, "u64")) return 0n;
    return this.byteOrder === "big"
      ? this.#buf.readBigUInt64BE(this.#start)
      : this.#buf.readBigUInt64LE(this.#start);
  }

  /**
   * u64To stores the u64 at `words[at]` and `words[at + 1]` the way a BigUint64Array over the same memory
   * holds it (host order), so that a 64-bit column fills without a bigint per value (rule counters, 100k
   * a scrape). An attribute of the wrong size stores 0 and records the error, like u64().
   */
  u64To(words: Uint32Array, at: number): void {
    const ok = this.#sized(8, "u64");
    const big = this.byteOrder === "big";
    storeU64Words(ok ? this.#u32At(big ? 0 : 4) : 0, ok ? this.#u32At(big ? 4 : 0) : 0, words, at);
  }

  /** offset is where the current attribute's payload begins in the buffer (not relative to `begin`). */
  get offset(): number {
    return this.#start;
  }

  #u32At(offset: number): number {
    const off = this.#start + offset;
    return this.byteOrder === "big" ? this.#buf.readUInt32BE(off) : this.#buf.readUInt32LE(off);
  }

  /** string decodes a NUL-terminated (NLA_STRING/NLA_NUL_STRING) value as UTF-8, without the NUL. */
  string(): string {
    if (this.err) return "";
    const end = this.#buf.indexOf(0, this.#start);
    const stop = end === -1 || end > this.#start + this.#len ? this.#start + this.#len : end;
    return this.#buf.toString("utf8", this.#start, stop);
  }

  /** payloadEquals compares the payload with `expected` without allocating (names, NUL included). */
  payloadEquals(expected: Buffer): boolean {
    if (this.err || this.#len !== expected.length) return false;
    // Names are short: a JS loop beats the native call of Buffer.compare here.
    for (let i = 0; i < expected.length; i++) if (this.#buf[this.#start + i] !== expected[i]) return false;
    return true;
  }

  /** bytes returns a copy of the payload, safe to keep after the datagram buffer is reused. */
  bytes(): Buffer {
    if (this.err) return Buffer.alloc(0);
    return Buffer.from(this.#buf.subarray(this.#start, this.#start + this.#len));
  }

  /** view returns the payload without copying; it is only valid until the datagram buffer is reused. */
  view(): Buffer {
    if (this.err) return Buffer.alloc(0);
    return this.#buf.subarray(this.#start, this.#start + this.#len);
  }

  /**
   * parsePayload hands the payload's range of the datagram to `parse`, for formats that are not attributes
   * (a rule's userdata), without the Buffer view that view() allocates. `parse` must not keep `buf`.
   */
  parsePayload<T>(parse: (buf: Buffer, start: number, end: number) => T): T {
    const start = this.err ? 0 : this.#start;
    return parse(this.#buf, start, this.err ? 0 : start + this.#len);
  }

  /**
   * nested decodes the current attribute's payload as attributes with a child decoder in the same byte
   * order. The child's error becomes this decoder's error. `fn` must not keep the child past its return:
   * it views the datagram buffer, which the transport reuses.
   */
  nested(fn: (child: AttributeDecoder) => void): void {
    if (this.err) return;
    const child = new AttributeDecoder(this.#buf, this.byteOrder, this.#start, this.#start + this.#len);
    fn(child);
    if (child.err) this.err = child.err;
  }

  /**
   * descend narrows this decoder to the current attribute's payload, as nested() would with a child, until
   * the matching ascend() resumes after that attribute. The hot paths (a rule's expressions: ~6 per rule,
   * 100k rules a scrape) walk their tree this way without an object or a closure per level.
   */
  descend(): void {
    const depth = this.#depth++;
    if (3 * depth === this.#outer.length) {
      const deeper = new Int32Array(Math.max(12, 2 * this.#outer.length));
      deeper.set(this.#outer);
      this.#outer = deeper;
    }
    this.#outer[3 * depth] = this.#begin;
    this.#outer[3 * depth + 1] = this.#end;
    this.#outer[3 * depth + 2] = this.#next;
    this.#begin = this.#start;
    this.#end = this.err ? this.#start : this.#start + this.#len;
    this.#next = this.#begin;
  }

  /** ascend undoes the last descend(); an error found below stays (it is sticky). */
  ascend(): void {
    if (this.#depth === 0) throw new Error("AttributeDecoder.ascend without descend");
    const depth = --this.#depth;
    this.#begin = this.#outer[3 * depth] as number;
    this.#end = this.#outer[3 * depth + 1] as number;
    this.#next = this.#outer[3 * depth + 2] as number;
  }

  #sized(size: number, what: string): boolean {
    if (this.err) return false;
    if (this.#len === size) return true;
    this.#fail(`attribute ${this.#type} is not a ${what}: length ${this.#len}`);
    return false;
  }

  #fail(message: string): false {
    this.err ??= new NfpromError(ErrorCodes.DECODE, `netlink: ${message}`);
    return false;
  }
}
