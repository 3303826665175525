import type { RuleColumns } from "../model/rule-columns.js";
import type { Rejection, Series } from "./policy.js";

/**
 * What to do when several exported rules end up with the same label set (Prometheus cannot take two
 * series with one identity; the Go tool failed the whole scrape):
 * - `sum`: one series with the summed counters (the default: no traffic is lost, nothing is hidden from
 *   the rule count in `<ns>_rules`);
 * - `handle`: each such rule gets a `handle` label with its rule handle (the other series get none), so
 *   they stay apart. Handles change when the ruleset is reloaded, so these series restart then;
 * - `error`: none of these rules is exported; each is rejected (logged once, counted in
 *   `<ns>_rules{state="rejected"}`); the scrape still succeeds with every other rule.
 */
export const DUPLICATE_POLICIES = ["sum", "handle", "error"] as const;
export type DuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

/** The label added by `--duplicates=handle`. A comment key of that name wins, as it does everywhere. */
export const HANDLE_LABEL = "handle";

/** Accepted is an exported rule before grouping: its position in the rule columns and its labels. */
export interface Accepted {
  index: number;
  labels: ReadonlyMap<string, string>;
}

export interface Grouped {
  keys: string[];
  series: Series[];
  /** Rules dropped by `error`. */
  rejected: Rejection[];
  /** Rules whose series the policy changed (summed, or given a handle label). */
  adjusted: Rejection[];
}

interface Group {
  series: Series;
  first: Accepted;
  /** The other rules with the same labels; undefined in the common case of none (no array per series). */
  more: Accepted[] | undefined;
}

/**
 * groupSeries turns accepted rules into series under `policy`; series keep the order of first appearance.
 * `rules` are the evaluated rules' columns, where handles, comments and counters are read.
 */
export function groupSeries(
  accepted: readonly Accepted[],
  keySet: Set<string>,
  policy: DuplicatePolicy,
  rules: RuleColumns,
): Grouped {
  const keys = [...keySet].sort();
  const groups = groupByValues(accepted, keys, rules);
  const out: Grouped = { keys, series: [], rejected: [], adjusted: [] };
  const canSplit = policy === "handle" && !keySet.has(HANDLE_LABEL);
  if (canSplit && groups.some((g) => g.more)) return splitByHandle(accepted, groups, keySet, rules);
  for (const g of groups) {
    if (!g.more) {
      out.series.push(g.series);
    } else if (policy === "error") {
      for (const m of membersOf(g))
        out.rejected.push(report(m, g, rules, "not exported (--duplicates=error)"));
    } else {
      out.series.push(g.series);
      for (const m of membersOf(g)) out.adjusted.push(report(m, g, rules, "summed into one series"));
    }
  }
  return out;
}

/** alignValues lists a rule's label values in `keys` order, and the id that groups equal label sets. */
function alignValues(labels: ReadonlyMap<string, string>, keys: readonly string[]) {
  const values = keys.map((k) => labels.get(k) ?? "");
  // Comments are C strings: they cannot contain NUL, so it separates values unambiguously.
  return { values, id: values.join("\0") };
}

function groupByValues(accepted: readonly Accepted[], keys: readonly string[], rules: RuleColumns): Group[] {
  const byId = new Map<string, Group>();
  const numbers = rules.numbers;
  for (const a of accepted) {
    const { values, id } = alignValues(a.labels, keys);
    const [bytes, packets] = [numbers[3 * a.index + 1] as bigint, numbers[3 * a.index + 2] as bigint];
    const g = byId.get(id);
    if (g) {
      g.series.bytes += bytes;
      g.series.packets += packets;
      g.series.rules++;
      g.series.members.push(a.index);
      if (g.more) g.more.push(a);
      else g.more = [a];
    } else {
      byId.set(id, {
        series: { values, bytes, packets, rules: 1, members: [a.index] },
        first: a,
        more: undefined,
      });
    }
  }
  return [...byId.values()];
}

/** splitByHandle regroups with a `handle` label that only the duplicated rules carry, in rule order. */
function splitByHandle(
  accepted: readonly Accepted[],
  groups: readonly Group[],
  keySet: Set<string>,
  rules: RuleColumns,
): Grouped {
  const duplicated = new Set<Accepted>();
  const adjusted: Rejection[] = [];
  for (const g of groups) {
    if (!g.more) continue;
    for (const m of membersOf(g)) {
      duplicated.add(m);
      adjusted.push(report(m, g, rules, "told apart by a handle label"));
    }
  }
  const withHandle = accepted.map((a) =>
    duplicated.has(a) ? { ...a, labels: new Map(a.labels).set(HANDLE_LABEL, String(handleOf(rules, a))) } : a,
  );
  const keys = [...keySet, HANDLE_LABEL].sort();
  const series = groupByValues(withHandle, keys, rules).map((g) => g.series);
  return { keys, series, rejected: [], adjusted };
}

function membersOf(g: Group): Accepted[] {
  return g.more ? [g.first, ...g.more] : [g.first];
}

function handleOf(rules: RuleColumns, a: Accepted): bigint {
  return rules.numbers[3 * a.index] as bigint;
}

function report(m: Accepted, g: Group, rules: RuleColumns, what: string): Rejection {
  const others = membersOf(g)
    .filter((o) => o !== m)
    .map((o) => handleOf(rules, o));
  return {
    handle: handleOf(rules, m),
    comment: rules.comments[m.index],
    reason: `same labels as rule ${others.join(", ")}: ${what}`,
  };
}
