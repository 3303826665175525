import type { RuleCounters } from "../model/snapshot.js";
import { parseComment } from "./comment.js";
import { type ItemGroup, ItemLabelTexts } from "./item-texts.js";
import type { CommentedItem } from "./items.js";
import { LabelPolicy, type PolicyOptions, type SeriesSet } from "./policy.js";

/**
 * Severity of a finding. `error`: the exporter drops the rule; `warning`: it exports the rule, but not as
 * the comment says or not as the others (a likely mistake); `info`: the rule is simply not exported.
 * `nfprom check` exits 1 when there is any error or warning.
 */
export type Severity = "error" | "warning" | "info";

/** Finding: a problem of a rule (by handle) or of a named counter, quota or set element (by item). */
export interface Finding {
  handle?: bigint;
  item?: string;
  comment: string | undefined;
  severity: Severity;
  problem: string;
}

export interface CheckResult {
  rules: number;
  counts: { exported: number; ignored: number; rejected: number };
  /** The exported label names, as the exporter would use them. */
  keys: string[];
  series: number;
  findings: Finding[];
  /** Named counters, quotas, set elements and tables checked (-counters, -quotas, -sets, -tables), when any is selected. */
  items?: number;
}

/** nft stores at most 128 bytes of comment (NFT_USERDATA_MAXLEN is 256, but nft(8) refuses more than 128). */
export const COMMENT_MAX_BYTES = 128;

/**
 * diagnose runs the exporter's own label policy over `rules` (one source of truth: whatever the policy
 * rejects or adjusts is reported with the policy's reason) and adds what only matters to a person
 * editing the ruleset: comments that nearly are nft(...), key sets that differ from the others, comments
 * over nft's limit, counted rules that are not exported.
 */
export function diagnose(
  rules: readonly RuleCounters[],
  options: PolicyOptions,
  derivedKeys: readonly string[] = [],
): CheckResult {
  const set = new LabelPolicy(options).evaluate(rules, derivedKeys);
  const findings = ruleFindings(rules, set, options.allRules);
  return { rules: rules.length, counts: set.counts, keys: set.keys, series: set.values.length, findings };
}

/**
 * ruleFindings: the findings of `rules` given what the label policy decided about them (`verdicts`, from
 * an evaluation of exactly these rules), sorted by handle. The web process's live view passes the
 * verdicts of its last evaluation instead of evaluating again.
 */
export function ruleFindings(
  rules: readonly RuleCounters[],
  verdicts: Pick<SeriesSet, "rejected" | "adjusted">,
  allRules: boolean,
): Finding[] {
  const findings: Finding[] = [];
  const add = (r: { handle: bigint; comment: string | undefined }, severity: Severity, problem: string) =>
    findings.push({ handle: r.handle, comment: r.comment, severity, problem });
  for (const r of verdicts.rejected) add(r, "error", r.reason);
  for (const r of verdicts.adjusted ?? []) add(r, "warning", r.reason);
  const rejected = new Set(verdicts.rejected.map((r) => r.handle));
  for (const rule of rules) {
    for (const [severity, problem] of commentFindings(rule, allRules)) add(rule, severity, problem);
  }
  for (const [rule, problem] of keySetFindings(rules.filter((r) => !rejected.has(r.handle)))) {
    add(rule, "warning", problem);
  }
  findings.sort((a, b) => Number((a.handle ?? 0n) - (b.handle ?? 0n)));
  return findings;
}

/**
 * itemFindings: the named counters, quotas and set elements whose nft(...) comment the exporter refuses
 * (malformed, or a label name beyond `maxLabelNames`), judged per kind by the exporter's own label texts.
 * A warning, not an error: the exporter still exports the item, by its identity labels alone.
 */
export function itemFindings(items: readonly CommentedItem[], maxLabelNames = 0): Finding[] {
  const found: [number, Finding][] = [];
  for (const kind of new Set(items.map((it) => it.kind))) {
    const positions = items.flatMap((it, i) => (it.kind === kind ? [i] : []));
    const ofKind = positions.map((i) => items[i] as CommentedItem);
    const { rejected } = new ItemLabelTexts(maxLabelNames).render(itemGroups(ofKind), ofKind.length);
    for (const r of rejected) {
      const item = ofKind[r.at] as CommentedItem;
      found.push([positions[r.at] as number, itemFinding(item.item, item.comment, r.reason)]);
    }
  }
  return found.sort(([a], [b]) => a - b).map(([, f]) => f);
}

/** itemGroups: items of one kind as label groups, a group per run of items with the same identity but their own label. */
function itemGroups(items: readonly CommentedItem[]): ItemGroup[] {
  const values = items.map((it) => (it.identity.at(-1) as [string, string])[1]);
  const comments = items.map((it) => it.comment);
  const groups: ItemGroup[] = [];
  for (let from = 0; from < items.length; ) {
    const { identity } = items[from] as CommentedItem;
    const id = groupId(items[from] as CommentedItem);
    let to = from + 1;
    while (to < items.length && groupId(items[to] as CommentedItem) === id) to++;
    const itemLabel = (identity.at(-1) as [string, string])[0];
    groups.push({ id, base: identity.slice(0, -1), itemLabel, items: values, comments, from, to, at: from });
    from = to;
  }
  return groups;
}

const groupId = (item: CommentedItem) =>
  item.identity
    .slice(0, -1)
    .map(([, v]) => v)
    .join("\0");

/** itemFinding: the finding for an item whose comment the exporter refuses for `problem`. */
export function itemFinding(item: string, comment: string | undefined, problem: string): Finding {
  return { item, comment, severity: "warning", problem: `${problem}; exported without its comment's labels` };
}

function commentFindings(rule: RuleCounters, allRules: boolean): [Severity, string][] {
  const out: [Severity, string][] = [];
  const bytes = rule.comment === undefined ? 0 : Buffer.byteLength(rule.comment);
  if (bytes > COMMENT_MAX_BYTES)
    out.push(["warning", `comment is ${bytes} bytes; nft allows ${COMMENT_MAX_BYTES}`]);
  if (parseComment(rule.comment).kind !== "none" || rule.countsInObject) return out;
  if (rule.comment !== undefined && /^\s*nft\s*\(/i.test(rule.comment)) {
    out.push(["warning", 'comment is not nft(...): it must start with "nft(" and end with ")"']);
  } else if (rule.bytes !== undefined && !allRules) {
    const what = rule.comment === undefined ? "no comment" : "comment is not nft(...)";
    out.push(["info", `not exported: ${what} (-all-rules would export it)`]);
  }
  return out;
}

/**
 * keySetFindings flags nft(...) rules whose key set differs from the most common one: the exporter
 * exports them with empty values for the missing keys, which is rarely what the author meant.
 */
function keySetFindings(rules: readonly RuleCounters[]): [RuleCounters, string][] {
  const keyed: [RuleCounters, string][] = [];
  const tally = new Map<string, number>();
  for (const rule of rules) {
    const parsed = parseComment(rule.comment);
    if (parsed.kind !== "labels" || rule.bytes === undefined) continue;
    const keys = [...parsed.labels.keys()].sort().join(",");
    keyed.push([rule, keys]);
    tally.set(keys, (tally.get(keys) ?? 0) + 1);
  }
  if (tally.size < 2) return [];
  const usual = [...tally].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
  return keyed
    .filter(([, keys]) => keys !== usual)
    .map(([rule, keys]) => [
      rule,
      `keys {${keys}} differ from the other rules' {${usual}}: missing ones export empty`,
    ]);
}
