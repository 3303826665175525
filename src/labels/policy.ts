import {
  COUNTS_IN_OBJECT,
  columnsFromRules,
  HAS_COUNTER,
  handleOf,
  locationOf,
  type RuleColumns,
} from "../model/rule-columns.js";
import type { Location, RuleCounters } from "../model/snapshot.js";
import { type ParsedComment, parseComment } from "./comment.js";
import { type DuplicatePolicy, groupSeries } from "./duplicates.js";
import { commentLabels, exportedAs, mostUsed, RESERVED_LABELS } from "./names.js";
import type { Rejection } from "./rejection.js";
import { allRulesLabels, withDerived } from "./rule-labels.js";

/**
 * The label policy turns a chain's rules into metric series:
 *
 * - a rule without an `nft(...)` comment is *ignored* (not exported, counted);
 * - a rule is *rejected* (not exported, counted, reported) when its comment is malformed, when a key is
 *   not a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`),
 *   or when it has no `counter` statement;
 * - every other rule is *exported*. The label names of the metric are the union of all exported rules'
 *   keys, sorted; a rule that lacks a key gets the empty value (which Prometheus treats as absent);
 * - rules whose label sets end up identical are summed into one series (the Go tool failed the scrape),
 *   or kept apart or rejected, as PolicyOptions.duplicates says (see duplicates.ts);
 * - keys `job` and `instance` are valid but Prometheus overwrites them with its target labels (keeping
 *   ours as `exported_job`): they are exported as `exported_job`/`exported_instance` right away, so the
 *   metric reads the same here and in Prometheus, and the rule is reported as adjusted. Keys `le` and
 *   `quantile`, which Prometheus reads as bucket bounds and quantiles (promtool refuses them on a
 *   counter), are renamed `exported_le`/`exported_quantile` the same way (RESERVED_LABELS);
 * - at most `maxLabelNames` label names: when the exported rules use more, the names used by the most
 *   rules are kept (ties: by name) and a rule that uses another is rejected, so that one rule cannot
 *   give every series thousands of empty labels; a rule-derived value longer than
 *   `maxLabelValueLength` (an anonymous set of thousands of addresses) is exported empty, as one that
 *   cannot be rendered, and the rule reported as adjusted;
 * - with `allRules`, a rule with a counter and no nft(...) comment is exported with a `rule` label
 *   (see rule-labels.ts); with rule-derived labels (snapshot.derivedLabels), each rule also gets those,
 *   under its comment keys: a comment key wins over a derived label of the same name.
 */
export type RuleState = "exported" | "ignored" | "rejected";

/**
 * SeriesSet is what the policy decided, as columns: series i has the label values values[i] (aligned
 * with keys) and sums the evaluated rules at members[starts[i]] up to members[starts[i + 1]] (excluded),
 * in rule order. No object per series: at 100k rules those were most of an evaluation's memory.
 */
export interface SeriesSet {
  keys: string[];
  values: string[][];
  starts: Int32Array;
  members: Int32Array;
  counts: Record<RuleState, number>;
  rejected: Rejection[];
  /** Exported rules the policy changed (duplicates, renamed keys); absent when there are none. */
  adjusted?: Rejection[];
  /** Rules the limits affected: rejected for a label name beyond maxLabelNames, derived values emptied. */
  overLimits: OverLimits;
}

export interface OverLimits {
  labelNames: number;
  labelValueLength: number;
}

/** PolicyOptions are the command line's label choices (-all-rules, -duplicates, -max-label-*). */
export interface PolicyOptions {
  allRules: boolean;
  duplicates: DuplicatePolicy;
  /** Label names of the rule metrics at most; 0: no limit. */
  maxLabelNames?: number;
  /** Characters of a rule-derived label value at most; 0: no limit. */
  maxLabelValueLength?: number;
}

/**
 * 64 label names: a metric rarely has a tenth of that, and each series carries every name of the
 * union (empty where its rule has none), so names times rules is what the exposition weighs.
 */
export const DEFAULT_MAX_LABEL_NAMES = 64;
/**
 * 1024 bytes: an inline set of a few dozen addresses or ports; a value longer than that is repeated in
 * two series per rule on every scrape and helps no query.
 */
export const DEFAULT_MAX_LABEL_VALUE_LENGTH = 1024;

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = {
  allRules: false,
  duplicates: "sum",
  maxLabelNames: DEFAULT_MAX_LABEL_NAMES,
  maxLabelValueLength: DEFAULT_MAX_LABEL_VALUE_LENGTH,
};

type Exported = { ok: true; labels: Map<string, string>; note?: string; emptied?: boolean };
type Classified = Exported | { ok: false; reason: string } | { ok: "none" };

const NONE: Classified = { ok: "none" };

/**
 * LabelPolicy applies the policy to one snapshot's rules at a time. It keeps nothing between evaluations:
 * the web process evaluates only when a chain's structure changed (scrape.ts keeps the result until then),
 * and caches per comment cost more memory than the parse they save (100k rules over 10 chains: ~50 MB of
 * a 100 MB heap, and the garbage collector walked them on every scrape).
 */
export class LabelPolicy {
  constructor(readonly options: PolicyOptions = DEFAULT_POLICY_OPTIONS) {}

  /**
   * evaluate applies the policy to one snapshot's rules: its columns (the web process), or rule objects
   * (`nfprom check`, tests). `derivedKeys` names the values of each rule's `derived` (the snapshot's
   * derivedLabels; empty when -rule-labels is off). It reads the columns in place, and it makes two passes
   * instead of keeping every rule's labels until the label names are known: the first classifies the rules
   * and collects the names, the second parses the exported rules' comments again and groups them. At 100k
   * rules the kept label maps took ~50 MB, three quarters of an evaluation's peak; a second parse costs
   * 0.4–1 µs per rule.
   */
  evaluate(rules: readonly RuleCounters[] | RuleColumns, derivedKeys: readonly string[] = []): SeriesSet {
    const columns = Array.isArray(rules) ? columnsFromRules(rules) : (rules as RuleColumns);
    const counts: Record<RuleState, number> = { exported: 0, ignored: 0, rejected: 0 };
    const rejected: Rejection[] = [];
    // Adjusted rules by position: one rejected by the name limit below is reported as rejected only.
    const adjustedAt = new Map<number, Rejection>();
    let exported: number[] = [];
    let keySet = new Set<string>();
    const keyUse = new Map<string, number>();
    const overLimits: OverLimits = { labelNames: 0, labelValueLength: 0 };
    const about = (i: number, reason: string): Rejection => ({
      handle: handleOf(columns.numbers, i),
      comment: columns.comments[i],
      reason,
    });

    for (let i = 0; i < columns.count; i++) {
      const verdict = this.#classify(columns, derivedKeys, i);
      if (verdict.ok === "none") {
        counts.ignored++;
      } else if (verdict.ok === false) {
        counts.rejected++;
        rejected.push(about(i, verdict.reason));
      } else {
        counts.exported++;
        for (const k of verdict.labels.keys()) keyUse.set(k, (keyUse.get(k) ?? 0) + 1);
        exported.push(i);
        if (verdict.note) adjustedAt.set(i, about(i, verdict.note));
        if (verdict.emptied) overLimits.labelValueLength++;
      }
    }

    const labelsOf = (i: number) => (this.#classify(columns, derivedKeys, i) as Exported).labels;
    const maxNames = this.options.maxLabelNames ?? 0;
    keySet = new Set(keyUse.keys());
    if (maxNames > 0 && keySet.size > maxNames) {
      keySet = new Set(mostUsed(keyUse, maxNames));
      const within = (i: number) => [...labelsOf(i).keys()].every((k) => keySet.has(k));
      const over = exported.filter((i) => !within(i));
      const reason = `uses a label name beyond the ${maxNames} most used ones (-max-label-names; the rules use ${keyUse.size})`;
      for (const i of over) rejected.push(about(i, reason));
      counts.exported -= over.length;
      counts.rejected += over.length;
      overLimits.labelNames = over.length;
      exported = exported.filter(within);
      for (const i of over) adjustedAt.delete(i);
      keySet = new Set(exported.flatMap((i) => [...labelsOf(i).keys()]));
    }

    const grouped = groupSeries(exported, keySet, this.options.duplicates, columns, labelsOf);
    const adjusted = [...adjustedAt.values()];
    counts.exported -= grouped.rejected.length;
    counts.rejected += grouped.rejected.length;
    adjusted.push(...grouped.adjusted);
    rejected.push(...grouped.rejected);
    const { keys, values, starts, members } = grouped;
    const set: SeriesSet = { keys, values, starts, members, counts, rejected, overLimits };
    if (adjusted.length > 0) set.adjusted = adjusted;
    return set;
  }

  /**
   * #classify decides rule i: ignored (no nft(...) comment, or it counts only in a named counter, which is
   * exported instead), rejected with a reason (also: no counter statement), or exported with its final
   * labels (derived and location labels added). Deterministic: evaluate asks twice.
   */
  #classify(columns: RuleColumns, derivedKeys: readonly string[], i: number): Classified {
    const flags = columns.flags[i] as number;
    const counted = (flags & HAS_COUNTER) !== 0;
    const verdict = this.#verdict(columns.comments[i], counted && !(flags & COUNTS_IN_OBJECT), i + 1);
    // `counter name "x"`: the rule has no counter of its own; the named counter x is exported instead.
    if (verdict.ok === "none" || (flags & COUNTS_IN_OBJECT && !counted)) return NONE;
    if (verdict.ok === false) return verdict;
    if (!counted) return { ok: false, reason: "rule has no counter statement" };
    const derived = columns.derived?.[i];
    const bounded = derived && this.#boundedDerived(derivedKeys, derived);
    const own = bounded ? withDerived(verdict.labels, derivedKeys, bounded.values) : verdict.labels;
    const location = locationOf(columns, i);
    const labels = location ? located(own, location) : own;
    if (!bounded?.note) return { ...verdict, labels };
    const note = verdict.note ? `${verdict.note}; ${bounded.note}` : bounded.note;
    return { ...verdict, labels, note, emptied: true };
  }

  /** #boundedDerived empties the derived values longer than maxLabelValueLength, and says which. */
  #boundedDerived(
    names: readonly string[],
    values: readonly string[],
  ): { values: readonly string[]; note?: string } {
    const max = this.options.maxLabelValueLength ?? 0;
    if (max <= 0 || values.every((v) => v.length <= max)) return { values };
    const long = names.filter((_, n) => (values[n] ?? "").length > max);
    const note = `${long.map((k) => `"${k}"`).join(", ")} exported empty: the value is longer than ${max} characters (-max-label-value-length)`;
    return { values: values.map((v) => (v.length > max ? "" : v)), note };
  }

  /**
   * #verdict classifies a rule's comment; with allRules, a rule with its own counter and no nft(...) is
   * exported.
   */
  #verdict(comment: string | undefined, ownCounter: boolean, position: number): Classified {
    const verdict = comment === undefined ? NONE : classify(parseComment(comment));
    if (verdict.ok !== "none" || !this.options.allRules || !ownCounter) return verdict;
    return { ok: true, labels: allRulesLabels(comment, position) };
  }
}

function classify(parsed: ParsedComment): Classified {
  if (parsed.kind === "invalid") return { ok: false, reason: `malformed comment: ${parsed.reason}` };
  const own = commentLabels(parsed);
  if (own.kind === "none") return NONE;
  if (own.kind === "refused") return { ok: false, reason: own.reason };
  if (own.renamed.length === 0) return { ok: true, labels: own.labels };
  const reasons = [...new Set(own.renamed.map((k) => RESERVED_LABELS.get(k)))].join("; ");
  const note = `${own.renamed.map((k) => `"${k}" exported as ${exportedAs(k)}`).join(", ")}: ${reasons}`;
  return { ok: true, labels: own.labels, note };
}

const LOCATION_KEYS = new Set(["family", "table", "chain"]);

/**
 * located adds the location labels to a map this evaluation owns (every comment is parsed anew), in place:
 * at 100k rules a copy per rule was a third of an evaluation's memory. A comment key that must be renamed
 * goes through withLocation.
 */
function located(labels: Map<string, string>, location: Location): Map<string, string> {
  for (const k of LOCATION_KEYS) if (labels.has(k)) return withLocation(labels, location);
  return labels.set("family", location.family).set("table", location.table).set("chain", location.chain);
}

/**
 * withLocation adds the family, table and chain labels of a rule read from one of several chains. A
 * comment key that uses one of these names is kept as `exported_<key>`, the way Prometheus renames a
 * scraped label that clashes with a target label (exportedAs).
 */
function withLocation(labels: ReadonlyMap<string, string>, location: Location): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of labels) out.set(exportedAs(k, LOCATION_KEYS), v);
  out.set("family", location.family).set("table", location.table).set("chain", location.chain);
  return out;
}
