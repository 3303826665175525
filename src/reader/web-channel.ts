import type { Socket } from "node:net";
import { ColumnElider } from "../ipc/elision.js";
import { FrameDecoder, ProtocolViolation, writeFrame } from "../ipc/framing.js";
import {
  decodeReadRequest,
  encodeReaderMessage,
  MAX_PENDING_READS,
  MAX_REQUEST_FRAME,
  type ReadReply,
  type ReadRequest,
  toWire,
  type WebConfigMessage,
} from "../ipc/protocol.js";

export interface WebChannelHandlers {
  onRead(channel: WebChannel, req: ReadRequest): void;
  /** The web process broke the protocol; the channel has stopped reading. `reason` is one line. */
  onViolation(reason: string): void;
}

/**
 * WebChannel is the reader's end of the socketpair to one web process. Everything the web process sends
 * goes through a FrameDecoder capped at MAX_REQUEST_FRAME and the hand-written request decoder; the
 * first violation (bad length, bad request, more than MAX_PENDING_READS unanswered) stops reading for
 * good. Each web process gets a fresh channel, and with it a fresh ColumnElider (see ipc/elision.ts).
 */
export class WebChannel {
  readonly #elider = new ColumnElider();
  readonly #decoder: FrameDecoder;
  #pending = 0;
  #broken = false;

  constructor(
    readonly socket: Socket,
    readonly handlers: WebChannelHandlers,
  ) {
    this.#decoder = new FrameDecoder(MAX_REQUEST_FRAME, (payload) => this.#onFrame(payload));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
  }

  /** answer sends the reply to one read; `done` runs once it is handed to the kernel (or failed). */
  answer(reply: ReadReply, done: (err?: Error | null) => void): void {
    this.#pending--;
    if (!this.socket.writable) return;
    writeFrame(this.socket, encodeReaderMessage(this.#elider.elide(toWire(reply))), done);
  }

  sendConfig(msg: WebConfigMessage): void {
    if (this.socket.writable) writeFrame(this.socket, encodeReaderMessage(msg));
  }

  #onData(chunk: Buffer): void {
    if (this.#broken) return;
    try {
      this.#decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof ProtocolViolation)) throw err;
      this.#broken = true;
      // The handler kills the web process first: closing the socket before would let it exit on its own.
      this.handlers.onViolation(err.message);
      this.socket.destroy();
    }
  }

  #onFrame(payload: Buffer): void {
    const req = decodeReadRequest(payload);
    if (++this.#pending > MAX_PENDING_READS) {
      throw new ProtocolViolation(`more than ${MAX_PENDING_READS} reads pending`);
    }
    this.handlers.onRead(this, req);
  }
}
