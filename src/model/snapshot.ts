import type { ErrorCode } from "../errors.js";

/** RuleCounters is what nfprom keeps of one rule: identity, comment and counter. */
export interface RuleCounters {
  family: number;
  handle: bigint;
  comment: string | undefined;
  /** undefined when the rule has no `counter` statement. */
  bytes: bigint | undefined;
  packets: bigint | undefined;
}

/** Snapshot is one consistent read of a chain: every rule from a single uninterrupted dump. */
export interface Snapshot {
  family: string;
  table: string;
  chain: string;
  /** Wall-clock time (ms since the epoch) when the dump completed. */
  readAtMs: number;
  readDurationMs: number;
  /** Dumps started for this snapshot: 1, plus one per retry after NLM_F_DUMP_INTR. */
  attempts: number;
  rules: RuleCounters[];
}

/** ReaderStats are the reader's cumulative counters, reported with every reply. */
export interface ReaderStats {
  dumpInterrupted: number;
  readErrors: Partial<Record<ErrorCode, number>>;
  /** Resident memory and CPU time of the privileged reader process. */
  residentBytes: number;
  cpuSeconds: number;
}
