import { ErrorCodes, type ErrorInfo } from "../errors.js";
import { ColumnRestorer } from "../ipc/elision.js";
import { fromWire, type ReadReply, type ReadRequest, type WireReadReply } from "../ipc/protocol.js";

/** Extra time the web process waits beyond the read deadline for the reader's answer to arrive. */
const REPLY_GRACE_MS = 250;

/**
 * ReaderClient asks the privileged reader for a snapshot over the IPC channel and matches replies by id.
 * A read that gets no reply in time resolves as an NFPROM_TIMEOUT error reply; it never hangs.
 */
export class ReaderClient {
  #nextId = 0;
  readonly #restorer = new ColumnRestorer();
  #pending = new Map<number, (reply: ReadReply | { type: "lost"; error: ErrorInfo }) => void>();

  constructor(private readonly send: (msg: ReadRequest) => void) {}

  /** deliver hands a message from the reader to the read waiting for it; unknown ids are dropped. */
  deliver(msg: unknown): void {
    const reply = msg as WireReadReply;
    // Every reply, even one whose read has given up: the reader counts on it (see ipc/elision.ts).
    this.#restorer.restore(reply);
    const resolve = this.#pending.get(reply?.id);
    if (!resolve || (reply.type !== "snapshot" && reply.type !== "error")) return;
    this.#pending.delete(reply.id);
    resolve(fromWire(reply));
  }

  read(timeoutMs: number): Promise<ReadReply | { type: "lost"; error: ErrorInfo }> {
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) % 2 ** 31;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({
          type: "lost",
          error: { code: ErrorCodes.TIMEOUT, message: "the reader did not answer in time" },
        });
      }, timeoutMs + REPLY_GRACE_MS);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      try {
        this.send({ type: "read", id, timeoutMs });
      } catch {
        this.#pending.delete(id);
        clearTimeout(timer);
        resolve({ type: "lost", error: { code: ErrorCodes.READER_GONE, message: "the reader is gone" } });
      }
    });
  }
}
