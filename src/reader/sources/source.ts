import { type ErrorCode, ErrorCodes, NfpromError } from "../../errors.js";
import type { Snapshot } from "../../model/snapshot.js";
import { NETLINK_NETFILTER } from "../../netlink/constants.js";
import { NetlinkSocket } from "../../netlink/socket.js";

/** The parts of a snapshot an optional source fills in. */
export type Sections = Pick<Snapshot, "counters" | "quotas" | "sets">;

/**
 * Source is one node_exporter-style collector: a name (the `source` label of nfprom_source_success) and
 * a collect function that dumps what it needs over the socket it is given, checking `shouldStop` (the
 * runner's hard bound) between datagrams. `deadlineAt` (epoch ms) is when the scrape that asked stops
 * waiting: work that is optional (another dump of a set that came out torn) must fit before it. It throws
 * NfpromError; NFPROM_DUMP_INTR makes the runner retry it.
 */
export interface Source<T = Sections> {
  readonly name: string;
  collect(sock: NetlinkSocket, shouldStop: () => boolean, deadlineAt: number): Promise<T>;
}

export interface SourceRunnerOptions {
  maxAttempts: number;
  maxReadMs: number;
  recvTimeoutMs: number;
}

/**
 * SourceRunner runs one source on its own netlink socket, so that sources dump concurrently (a socket
 * carries one dump at a time). Like ChainReader it retries interrupted dumps, replaces the socket after
 * any failure (the kernel would answer the next dump with EBUSY) and counts errors by code.
 */
export class SourceRunner<T = Sections> {
  readonly stats = { dumpInterrupted: 0, readErrors: {} as Partial<Record<ErrorCode, number>> };
  #sock: NetlinkSocket | undefined;
  #inflight: Promise<T> | undefined;

  constructor(
    readonly source: Source<T>,
    readonly options: SourceRunnerOptions,
  ) {}

  /**
   * collect shares the run in flight between concurrent callers (single-flight); the first caller's
   * deadline (epoch ms; none: Infinity) is the one the source sees.
   */
  collect(deadlineAt = Number.POSITIVE_INFINITY): Promise<T> {
    this.#inflight ??= this.#withRetries(deadlineAt).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  close(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }

  async #withRetries(deadlineAt: number): Promise<T> {
    const stopAt = Date.now() + this.options.maxReadMs;
    for (let attempt = 1; ; attempt++) {
      try {
        this.#sock ??= NetlinkSocket.open({
          protocol: NETLINK_NETFILTER,
          recvTimeoutMs: this.options.recvTimeoutMs,
        });
        return await this.source.collect(this.#sock, () => Date.now() > stopAt, deadlineAt);
      } catch (err) {
        this.close();
        const interrupted = err instanceof NfpromError && err.code === ErrorCodes.DUMP_INTR;
        if (interrupted) this.stats.dumpInterrupted++;
        if (interrupted && attempt < this.options.maxAttempts && Date.now() < stopAt) continue;
        const code = err instanceof NfpromError ? err.code : ErrorCodes.INTERNAL;
        this.stats.readErrors[code] = (this.stats.readErrors[code] ?? 0) + 1;
        throw err;
      }
    }
  }
}
