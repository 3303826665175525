import { handleOf, type RuleColumns } from "../model/rule-columns.js";
import type { Rejection } from "./rejection.js";

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

/** LabelsOf gives an exported rule's labels from its position in the rule columns. */
export type LabelsOf = (rule: number) => ReadonlyMap<string, string>;

/** Grouped: the series as columns (see SeriesSet), and what the policy did to duplicated rules. */
export interface Grouped {
  keys: string[];
  values: string[][];
  starts: Int32Array;
  members: Int32Array;
  /** Rules dropped by `error`. */
  rejected: Rejection[];
  /** Rules whose series the policy changed (summed, or given a handle label). */
  adjusted: Rejection[];
}

/**
 * Groups: series in order of first appearance, each with its label values and first rule; `more` holds the
 * other rules of the series that have any (the rare case: no array per series).
 */
interface Groups {
  values: string[][];
  first: number[];
  more: Map<number, number[]>;
}

/**
 * groupSeries turns the exported rules (positions in `rules`, in rule order) into series under `policy`.
 * `rules` are the evaluated rules' columns, where handles and comments are read.
 */
export function groupSeries(
  exported: readonly number[],
  keySet: ReadonlySet<string>,
  policy: DuplicatePolicy,
  rules: RuleColumns,
  labelsOf: LabelsOf,
): Grouped {
  const keys = [...keySet].sort();
  const groups = groupByValues(exported, keys, labelsOf);
  const canSplit = policy === "handle" && !keySet.has(HANDLE_LABEL);
  if (canSplit && groups.more.size > 0) return splitByHandle(exported, groups, keys, rules, labelsOf);
  const reports: Rejection[] = [];
  const what = policy === "error" ? "not exported (--duplicates=error)" : "summed into one series";
  for (const series of duplicatedSeries(groups)) {
    const members = membersOf(groups, series);
    for (const m of members) reports.push(report(m, members, rules, what));
  }
  if (policy !== "error")
    return { keys, ...seriesColumns(groups, () => true), rejected: [], adjusted: reports };
  return { keys, ...seriesColumns(groups, (s) => !groups.more.has(s)), rejected: reports, adjusted: [] };
}

/** duplicatedSeries lists the series of more than one rule, in series order. */
function duplicatedSeries(groups: Groups): number[] {
  return [...groups.more.keys()].sort((a, b) => a - b);
}

/** groupByValues aligns each rule's labels with `keys` and groups equal label sets. */
function groupByValues(exported: readonly number[], keys: readonly string[], labelsOf: LabelsOf): Groups {
  const groups: Groups = { values: [], first: [], more: new Map() };
  const byId = new Map<string, number>();
  for (const rule of exported) {
    const labels = labelsOf(rule);
    const values = keys.map((k) => labels.get(k) ?? "");
    // Comments are C strings: they cannot contain NUL, so it separates values unambiguously.
    const id = values.join("\0");
    const series = byId.get(id);
    if (series === undefined) {
      byId.set(id, groups.values.length);
      groups.values.push(values);
      groups.first.push(rule);
    } else {
      const more = groups.more.get(series);
      if (more) more.push(rule);
      else groups.more.set(series, [rule]);
    }
  }
  return groups;
}

/** seriesColumns lays out the groups that `keep` keeps as SeriesSet columns. */
function seriesColumns(groups: Groups, keep: (series: number) => boolean) {
  const kept: number[] = [];
  let total = 0;
  for (let s = 0; s < groups.values.length; s++) {
    if (!keep(s)) continue;
    kept.push(s);
    total += 1 + (groups.more.get(s)?.length ?? 0);
  }
  const starts = new Int32Array(kept.length + 1);
  const members = new Int32Array(total);
  let at = 0;
  kept.forEach((s, i) => {
    members[at++] = groups.first[s] as number;
    for (const m of groups.more.get(s) ?? []) members[at++] = m;
    starts[i + 1] = at;
  });
  const values =
    kept.length === groups.values.length ? groups.values : kept.map((s) => groups.values[s] as string[]);
  return { values, starts, members };
}

/** splitByHandle regroups with a `handle` label that only the duplicated rules carry, in rule order. */
function splitByHandle(
  exported: readonly number[],
  groups: Groups,
  keys: readonly string[],
  rules: RuleColumns,
  labelsOf: LabelsOf,
): Grouped {
  const duplicated = new Set<number>();
  const adjusted: Rejection[] = [];
  for (const series of duplicatedSeries(groups)) {
    const members = membersOf(groups, series);
    for (const m of members) {
      duplicated.add(m);
      adjusted.push(report(m, members, rules, "told apart by a handle label"));
    }
  }
  const withHandle: LabelsOf = (rule) =>
    duplicated.has(rule)
      ? new Map(labelsOf(rule)).set(HANDLE_LABEL, String(handleOf(rules.numbers, rule)))
      : labelsOf(rule);
  const handleKeys = [...keys, HANDLE_LABEL].sort();
  const regrouped = groupByValues(exported, handleKeys, withHandle);
  return { keys: handleKeys, ...seriesColumns(regrouped, () => true), rejected: [], adjusted };
}

function membersOf(groups: Groups, series: number): number[] {
  return [groups.first[series] as number, ...(groups.more.get(series) ?? [])];
}

function report(rule: number, members: readonly number[], rules: RuleColumns, what: string): Rejection {
  const others = members.filter((o) => o !== rule).map((o) => handleOf(rules.numbers, o));
  return {
    handle: handleOf(rules.numbers, rule),
    comment: rules.comments[rule],
    reason: `same labels as rule ${others.join(", ")}: ${what}`,
  };
}
