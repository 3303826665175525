import type { Location, RuleCounters } from "../model/snapshot.js";
import { type ParsedComment, parseComment } from "./comment.js";
import { type Accepted, type DuplicatePolicy, groupSeries } from "./duplicates.js";
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
 *   metric reads the same here and in Prometheus, and the rule is reported as adjusted;
 * - with `allRules`, a rule with a counter and no nft(...) comment is exported with a `rule` label
 *   (see rule-labels.ts); with rule-derived labels (snapshot.derivedLabels), each rule also gets those,
 *   under its comment keys: a comment key wins over a derived label of the same name.
 */
export type RuleState = "exported" | "ignored" | "rejected";

export interface Series {
  /** Label values, aligned with SeriesSet.keys. */
  values: string[];
  bytes: bigint;
  packets: bigint;
  /** How many rules were summed into this series. */
  rules: number;
  /** Positions in the evaluated rules of the rules summed into this series. */
  members: number[];
}

export interface Rejection {
  handle: bigint;
  comment: string | undefined;
  reason: string;
}

export interface SeriesSet {
  keys: string[];
  series: Series[];
  counts: Record<RuleState, number>;
  rejected: Rejection[];
  /** Exported rules the policy changed (duplicates, renamed keys); absent when there are none. */
  adjusted?: Rejection[];
}

/** PolicyOptions are the command line's label choices (-all-rules, -duplicates). */
export interface PolicyOptions {
  allRules: boolean;
  duplicates: DuplicatePolicy;
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = { allRules: false, duplicates: "sum" };

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** labelNameProblem says why a name cannot be a Prometheus label name, or undefined when it can. */
export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `"${name}" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`;
  if (name.startsWith("__")) return `"${name}" uses the prefix __, reserved by Prometheus`;
  return undefined;
}

type Classified =
  | { ok: true; labels: Map<string, string>; note?: string }
  | { ok: false; reason: string }
  | { ok: "none" };

const NONE: Classified = { ok: "none" };

/** The located label map of a comment found in one chain (`key` names the chain). */
interface LocatedEntry {
  key: string;
  labels: ReadonlyMap<string, string>;
}

/** Label names Prometheus sets on every target; a scraped label of that name is renamed `exported_<name>`. */
const TARGET_LABELS = new Set(["job", "instance"]);

/**
 * LabelPolicy applies the policy to successive snapshots. It caches the parse of each distinct comment
 * (a chain's comments rarely change between scrapes) and forgets comments that are no longer present.
 */
export class LabelPolicy {
  /** Verdict per comment, with the evaluation that last saw it (to forget comments that are gone). */
  #cache = new Map<string, { verdict: Classified; seen: number }>();
  #evaluation = 0;
  #chainKeys = new WeakMap<Location, string>();
  #locatedCache = new WeakMap<
    ReadonlyMap<string, string>,
    LocatedEntry | Map<string, ReadonlyMap<string, string>>
  >();

  constructor(readonly options: PolicyOptions = DEFAULT_POLICY_OPTIONS) {}

  /**
   * evaluate applies the policy to one snapshot's rules. `derivedKeys` names the values of each rule's
   * `derived` (the snapshot's derivedLabels; empty when -rule-labels is off).
   */
  evaluate(rules: readonly RuleCounters[], derivedKeys: readonly string[] = []): SeriesSet {
    this.#evaluation++;
    const counts: Record<RuleState, number> = { exported: 0, ignored: 0, rejected: 0 };
    const rejected: Rejection[] = [];
    const adjusted: Rejection[] = [];
    const accepted: Accepted[] = [];
    const keySet = new Set<string>();

    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as RuleCounters;
      const verdict = this.#verdict(rule, i + 1);
      // `counter name "x"`: the rule has no counter of its own; the named counter x is exported instead.
      if (verdict.ok === "none" || (rule.countsInObject && rule.bytes === undefined)) {
        counts.ignored++;
      } else if (verdict.ok === false) {
        counts.rejected++;
        rejected.push({ handle: rule.handle, comment: rule.comment, reason: verdict.reason });
      } else if (rule.bytes === undefined || rule.packets === undefined) {
        counts.rejected++;
        rejected.push({
          handle: rule.handle,
          comment: rule.comment,
          reason: "rule has no counter statement",
        });
      } else {
        counts.exported++;
        const own = rule.derived ? withDerived(verdict.labels, derivedKeys, rule.derived) : verdict.labels;
        const labels = rule.location ? this.#located(own, rule.location) : own;
        for (const k of labels.keys()) keySet.add(k);
        const { handle, comment, bytes, packets } = rule;
        accepted.push({ index: i, handle, comment, labels, bytes, packets });
        if (verdict.note) adjusted.push({ handle, comment, reason: verdict.note });
      }
    }
    this.#forgetUnseen(rules.length);

    const grouped = groupSeries(accepted, keySet, this.options.duplicates);
    counts.exported -= grouped.rejected.length;
    counts.rejected += grouped.rejected.length;
    adjusted.push(...grouped.adjusted);
    const set: SeriesSet = { keys: grouped.keys, series: grouped.series, counts, rejected };
    rejected.push(...grouped.rejected);
    if (adjusted.length > 0) set.adjusted = adjusted;
    return set;
  }

  /** #verdict classifies a rule's comment; with allRules, a counted rule without nft(...) is exported. */
  #verdict(rule: RuleCounters, position: number): Classified {
    const verdict = this.#classify(rule.comment);
    if (verdict.ok !== "none" || !this.options.allRules || rule.bytes === undefined || rule.countsInObject) {
      return verdict;
    }
    return { ok: true, labels: allRulesLabels(rule.comment, position) };
  }

  #classify(comment: string | undefined): Classified {
    if (comment === undefined) return NONE;
    const hit = this.#cache.get(comment);
    if (hit) {
      hit.seen = this.#evaluation;
      return hit.verdict;
    }
    const verdict = classify(parseComment(comment));
    this.#cache.set(comment, { verdict, seen: this.#evaluation });
    return verdict;
  }

  /**
   * #located memoises withLocation per comment label map and chain, so that with -chains a rule keeps the
   * same label map from scrape to scrape (and with it its aligned values and rendered label text). A
   * comment usually lives in one chain: then the entry is that chain's map alone, and a Map of chains is
   * made only for a comment found in a second one (100k rules: 100k Maps fewer).
   */
  #located(labels: ReadonlyMap<string, string>, location: Location): ReadonlyMap<string, string> {
    const key = this.#chainKey(location);
    const entry = this.#locatedCache.get(labels);
    if (entry instanceof Map) {
      const out = entry.get(key) ?? withLocation(labels, location);
      entry.set(key, out);
      return out;
    }
    if (entry?.key === key) return entry.labels;
    const out = withLocation(labels, location);
    this.#locatedCache.set(
      labels,
      entry
        ? new Map([
            [entry.key, entry.labels],
            [key, out],
          ])
        : { key, labels: out },
    );
    return out;
  }

  /** #chainKey names a chain once per Location object (a read shares one among the chain's rules). */
  #chainKey(location: Location): string {
    let key = this.#chainKeys.get(location);
    if (key === undefined) {
      key = `${location.family}\0${location.table}\0${location.chain}`;
      this.#chainKeys.set(location, key);
    }
    return key;
  }

  /** #forgetUnseen drops comments absent from this evaluation once they could outnumber the live ones. */
  #forgetUnseen(ruleCount: number): void {
    if (this.#cache.size <= ruleCount) return;
    for (const [comment, entry] of this.#cache)
      if (entry.seen !== this.#evaluation) this.#cache.delete(comment);
  }
}

function classify(parsed: ParsedComment): Classified {
  if (parsed.kind === "none") return { ok: "none" };
  if (parsed.kind === "invalid") return { ok: false, reason: `malformed comment: ${parsed.reason}` };
  const renamed: string[] = [];
  for (const key of parsed.labels.keys()) {
    const problem = labelNameProblem(key);
    if (problem) return { ok: false, reason: problem };
    if (TARGET_LABELS.has(key)) renamed.push(key);
  }
  if (renamed.length === 0) return { ok: true, labels: parsed.labels };
  const labels = new Map<string, string>();
  for (const [k, v] of parsed.labels) labels.set(TARGET_LABELS.has(k) ? `exported_${k}` : k, v);
  const note = `${renamed.map((k) => `"${k}" exported as exported_${k}`).join(", ")}: Prometheus sets job and instance itself`;
  return { ok: true, labels, note };
}

const LOCATION_KEYS = new Set(["family", "table", "chain"]);

/**
 * withLocation adds the family, table and chain labels of a rule read from one of several chains. A
 * comment key that uses one of these names is kept as `exported_<key>`, the way Prometheus renames a
 * scraped label that clashes with a target label, so neither value is lost.
 */
export function withLocation(labels: ReadonlyMap<string, string>, location: Location): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of labels) out.set(LOCATION_KEYS.has(k) ? `exported_${k}` : k, v);
  out.set("family", location.family).set("table", location.table).set("chain", location.chain);
  return out;
}
