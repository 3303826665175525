import { columnsFromRules } from "../../../src/model/rule-columns.js";
import type {
  NamedCounter,
  ReaderStats,
  RuleCounters,
  SetCounters,
  Snapshot,
} from "../../../src/model/snapshot.js";
import { counterColumns, setColumns } from "../../../src/model/source-columns.js";

/** Reader statistics of no interest to a test. */
export const NO_STATS: ReaderStats = {
  retries: { dump_interrupted: 0, ruleset_changed: 0 },
  staleServed: { ruleset_changing: 0, timeout: 0 },
  readErrors: {},
  residentBytes: 0,
  cpuSeconds: 0,
};

/** ruleSnapshot: a snapshot of chain inet t c holding `count` counted rules, comment and values per rule. */
export function ruleSnapshot(
  count: number,
  comment: (i: number) => string,
  value: (i: number) => bigint = () => 1n,
): Snapshot {
  const rules: RuleCounters[] = Array.from({ length: count }, (_, i) => ({
    family: 1,
    handle: BigInt(i + 1),
    comment: comment(i),
    bytes: value(i),
    packets: value(i),
  }));
  return {
    family: "inet",
    table: "t",
    chain: "c",
    readAtMs: 0,
    readDurationMs: 0,
    attempts: 1,
    rules: columnsFromRules(rules),
  };
}

/** SnapshotObjects: a snapshot written as objects, the way a test reads best (see columnar). */
export type SnapshotObjects = Omit<Snapshot, "rules" | "counters" | "sets"> & {
  rules: RuleCounters[];
  counters?: NamedCounter[];
  sets?: SetCounters[];
};

/** columnar turns SnapshotObjects into the snapshot the reader makes (its sections as columns). */
export function columnar(s: SnapshotObjects): Snapshot {
  const { rules, counters, sets, ...rest } = s;
  const out: Snapshot = { ...rest, rules: columnsFromRules(rules) };
  if (counters) out.counters = counterColumns(counters);
  if (sets) out.sets = sets.map(setColumns);
  return out;
}
