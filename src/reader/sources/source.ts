import type { Snapshot } from "../../model/snapshot.js";
import type { NetnsRef } from "../../netlink/netns.js";
import { type NetlinkSocket, netfilterSocket, type SocketOpener, SocketSlot } from "../../netlink/socket.js";

/** The parts of a snapshot an optional source fills in. */
export type Sections = Pick<Snapshot, "counters" | "quotas" | "sets">;

/**
 * Source is one node_exporter-style collector: a name (the `source` label of nfprom_source_success) and
 * a collect function that dumps what it needs over the socket it is given, checking `shouldStop` (the
 * read's hard bound) between datagrams. `deadlineAt` (epoch ms) is when the scrape that asked stops
 * waiting: work that is optional (another dump of a set that came out torn) must fit before it. It throws
 * NfpromError; NFPROM_DUMP_INTR makes the collector retry the whole read.
 */
export interface Source<T = Sections> {
  readonly name: string;
  collect(sock: NetlinkSocket, shouldStop: () => boolean, deadlineAt: number): Promise<T>;
}

export interface SourceRunnerOptions {
  recvTimeoutMs: number;
  netns?: NetnsRef;
  /** Opens the runner's socket; the real netlink socket unless a test's fake kernel. */
  openSocket?: SocketOpener;
}

/**
 * SourceRunner runs one source on its own netlink socket, so that sources dump concurrently (a socket
 * carries one dump at a time). It makes one attempt per call (the collector retries whole reads) and
 * replaces the socket after any failure or abandoned dump: the kernel would answer the next dump with
 * EBUSY.
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
