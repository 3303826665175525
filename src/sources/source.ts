import type { Snapshot } from "../model/snapshot.js";
import type { NetlinkSocket } from "../netlink/socket.js";
import type { Sections } from "./slice.js";

/**
 * Source is the reader's half of an optional source, a node_exporter-style collector: a name (the
 * `source` label of nfprom_source_success) and a collect function that asks the kernel for what it needs
 * over the socket it is given and decodes it into its sections, checking `shouldStop` (the read's hard
 * bound) between datagrams. `deadlineAt` (epoch ms) is when the scrape that asked stops waiting: work
 * that is optional (another dump of a set that came out torn) must fit before it. It throws NfpromError;
 * NFPROM_DUMP_INTR makes the collector retry the whole read. Only the reader loads it (the other half,
 * a SourceSlice in slice.ts, is what the web process shares).
 */
export interface Source<T = Sections> {
  readonly name: string;
  collect(sock: NetlinkSocket, shouldStop: () => boolean, deadlineAt: number): Promise<T>;
}

/**
 * RulesReader makes one attempt at the rule counters, the part of every read that is not optional
 * (sources/rules/: ChainReader for one chain, ChainsReader for -chains).
 */
export interface RulesReader {
  read(shouldStop: () => boolean): Promise<Snapshot>;
  close(): void;
}
