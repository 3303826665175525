import type { LabelPolicy, SeriesSet } from "../../../src/labels/policy.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";

/** A series of a SeriesSet as one object, its counters summed from the evaluated rules, for asserts. */
export interface SeriesRow {
  values: string[];
  bytes: bigint;
  packets: bigint;
  rules: number;
}

/** evaluated runs the policy and lists its series as objects beside the set's own columns. */
export function evaluated(
  policy: LabelPolicy,
  rules: readonly RuleCounters[],
  derivedKeys?: readonly string[],
): SeriesSet & { series: SeriesRow[] } {
  const set = policy.evaluate(rules, derivedKeys);
  const series = set.values.map((values, i) => {
    const members = [...set.members.subarray(set.starts[i], set.starts[i + 1])];
    let [bytes, packets] = [0n, 0n];
    for (const m of members) {
      bytes += rules[m]?.bytes ?? 0n;
      packets += rules[m]?.packets ?? 0n;
    }
    return { values, bytes, packets, rules: members.length };
  });
  return { ...set, series };
}
