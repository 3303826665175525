import type { Writable } from "node:stream";

/**
 * Framing of the link between the two processes (a socketpair, fd 3 of the web process): each frame is
 * its payload's length as a 32-bit big-endian number, then the payload. No Node IPC channel is involved.
 */
export const FRAME_HEADER_BYTES = 4;
const MAX_FRAME_PAYLOAD = 0xffff_ffff;

/** ProtocolViolation is the one error the decoders throw: the peer sent something the protocol forbids. */
export class ProtocolViolation extends Error {
  override name = "ProtocolViolation";
}

/**
 * FrameDecoder cuts a byte stream into frames. It refuses a length above `maxPayload` as soon as the
 * header is complete, before allocating anything, so it never holds more than one frame of at most
 * `maxPayload` bytes (plus a partial header).
 */
export class FrameDecoder {
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #payload: Buffer | undefined;
  #payloadFill = 0;

  constructor(
    readonly maxPayload: number,
    readonly onFrame: (payload: Buffer) => void,
  ) {}

  /** Bytes held for the frame being received (the fuzz test checks the bound). */
  get bufferedBytes(): number {
    return this.#headerFill + (this.#payload?.length ?? 0);
  }

  /** push takes the next bytes of the stream; throws ProtocolViolation (the stream is then unusable). */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.#payload) {
        const n = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill < FRAME_HEADER_BYTES) return;
        this.#headerFill = 0;
        const length = this.#header.readUInt32BE(0);
        if (length > this.maxPayload) {
          throw new ProtocolViolation(`frame of ${length} bytes announced, the limit is ${this.maxPayload}`);
        }
        this.#payload = Buffer.allocUnsafe(length);
        this.#payloadFill = 0;
      }
      const payload = this.#payload;
      const n = Math.min(payload.length - this.#payloadFill, chunk.length - at);
      payload.set(chunk.subarray(at, at + n), this.#payloadFill);
      this.#payloadFill += n;
      at += n;
      if (this.#payloadFill === payload.length) {
        this.#payload = undefined;
        this.onFrame(payload);
      }
    }
  }
}

/**
 * writeFrame queues one frame on a stream socket without copying the payload (header and payload go out
 * in one writev); the socket writes what the kernel takes and keeps the rest until it drains.
 */
export function writeFrame(out: Writable, payload: Uint8Array, done?: (err?: Error | null) => void): void {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`frame of ${payload.length} bytes`);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  out.cork();
  out.write(header);
  out.write(payload, done);
  out.uncork();
}
