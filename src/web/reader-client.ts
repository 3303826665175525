import { ErrorCodes, type ErrorInfo } from "../errors.js";
import { ColumnRestorer } from "../ipc/elision.js";
import {
  fromWire,
  MAX_PENDING_READS,
  type ReadReply,
  type ReadRequest,
  type WireReadReply,
} from "../ipc/protocol.js";
import { cancelTimer } from "../timers.js";

/** Extra time the web process waits beyond the read deadline for the reader's answer to arrive. */
const REPLY_GRACE_MS = 250;

type Answer = ReadReply | { type: "lost"; error: ErrorInfo };
type Waiter = (answer: Answer) => void;

/**
 * ReaderClient asks the privileged reader for a snapshot and matches replies by id. A read that gets no
 * reply in time resolves as an NFPROM_TIMEOUT error reply; it never hangs. It never has more than
 * MAX_PENDING_READS requests unanswered (the reader would take one more as a violation): a read beyond
 * that waits for the reply to the newest request, like a read that finds a dump in flight in the reader.
 * A request stays unanswered until its reply arrives, even after its callers have given up.
 */
export class ReaderClient {
  #nextId = 0;
  readonly #restorer = new ColumnRestorer();
  /** Unanswered requests by id, in the order sent, each with the reads waiting for its reply. */
  readonly #pending = new Map<number, Set<Waiter>>();

  constructor(private readonly send: (msg: ReadRequest) => void) {}

  /** deliver hands a message from the reader to the reads waiting for it; unknown ids are dropped. */
  deliver(msg: unknown): void {
    const reply = msg as WireReadReply;
    // Every reply, even one whose read has given up: the reader counts on it (see ipc/elision.ts).
    this.#restorer.restore(reply);
    const waiters = this.#pending.get(reply?.id);
    if (!waiters || !["snapshot", "error", "namespaces"].includes(reply.type)) return;
    this.#pending.delete(reply.id);
    for (const resolve of waiters) resolve(fromWire(reply));
  }

  read(timeoutMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      const waiters = this.#waitersForNewRead(timeoutMs);
      if (!waiters) {
        resolve({ type: "lost", error: { code: ErrorCodes.READER_GONE, message: "the reader is gone" } });
        return;
      }
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        resolve({
          type: "lost",
          error: { code: ErrorCodes.TIMEOUT, message: "the reader did not answer in time" },
        });
      }, timeoutMs + REPLY_GRACE_MS);
      const waiter: Waiter = (answer) => {
        cancelTimer(timer);
        resolve(answer);
      };
      waiters.add(waiter);
    });
  }

  /** The waiters of a fresh request, or of the newest one when all slots are taken; undefined: send failed. */
  #waitersForNewRead(timeoutMs: number): Set<Waiter> | undefined {
    if (this.#pending.size >= MAX_PENDING_READS) return [...this.#pending.values()].at(-1);
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) % 2 ** 31;
    try {
      this.send({ type: "read", id, timeoutMs });
    } catch {
      return undefined;
    }
    const waiters = new Set<Waiter>();
    this.#pending.set(id, waiters);
    return waiters;
  }
}
