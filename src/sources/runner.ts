import type { NetnsRef } from "../netlink/netns.js";
import { netfilterSocket, type SocketOpener, SocketSlot } from "../netlink/socket.js";
import type { Sections } from "./slice.js";
import type { Source } from "./source.js";

export interface SourceRunnerOptions {
  recvTimeoutMs: number;
  netns?: NetnsRef;
  /** Opens the runner's socket; the real netlink socket unless a test's fake kernel. */
  openSocket?: SocketOpener;
}

/**
 * SourceRunner is the one runner of every dump the reader makes: each optional source (src/sources/),
 * each chain (ChainReader) and the chain listing (ChainsReader), each on its own netlink socket, so that
 * they dump concurrently (a socket carries one dump at a time). It makes one attempt per call (the
 * collector retries whole reads, under beforeDeadline) and replaces the socket after any failure or
 * abandoned dump: the kernel would answer the next dump with EBUSY.
 */
export class SourceRunner<T = Sections> {
  readonly #slot: SocketSlot;

  constructor(
    readonly source: Source<T>,
    readonly options: SourceRunnerOptions,
  ) {
    this.#slot = new SocketSlot(netfilterSocket(options), options.openSocket);
  }

  collect(shouldStop: () => boolean, deadlineAt = Number.POSITIVE_INFINITY): Promise<T> {
    return this.#slot.use((sock) => this.source.collect(sock, shouldStop, deadlineAt));
  }

  /** abandon gives up the socket (a dump still running on it ends there); the next call opens another. */
  abandon(): void {
    this.#slot.close();
  }

  close(): void {
    this.#slot.close();
  }
}
