import type { Location, RuleCounters } from "../model/snapshot.js";
import { type ParsedComment, parseComment } from "./comment.js";

/**
 * The label policy turns a chain's rules into metric series:
 *
 * - a rule without an `nft(...)` comment is *ignored* (not exported, counted);
 * - a rule is *rejected* (not exported, counted, reported) when its comment is malformed, when a key is
 *   not a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`),
 *   or when it has no `counter` statement;
 * - every other rule is *exported*. The label names of the metric are the union of all exported rules'
 *   keys, sorted; a rule that lacks a key gets the empty value (which Prometheus treats as absent);
 * - rules whose label sets end up identical are summed into one series (the Go tool failed the scrape).
 */
export type RuleState = "exported" | "ignored" | "rejected";

export interface Series {
  /** Label values, aligned with SeriesSet.keys. */
  values: string[];
  bytes: bigint;
  packets: bigint;
  /** How many rules were summed into this series. */
  rules: number;
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
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** labelNameProblem says why a name cannot be a Prometheus label name, or undefined when it can. */
export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `"${name}" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`;
  if (name.startsWith("__")) return `"${name}" uses the prefix __, reserved by Prometheus`;
  return undefined;
}

type Classified = { ok: true; labels: Map<string, string> } | { ok: false; reason: string } | { ok: "none" };

/**
 * LabelPolicy applies the policy to successive snapshots. It caches the parse of each distinct comment
 * (a chain's comments rarely change between scrapes) and forgets comments that are no longer present.
 */
export class LabelPolicy {
  #cache = new Map<string, Classified>();

  evaluate(rules: readonly RuleCounters[]): SeriesSet {
    const cache = new Map<string, Classified>();
    const counts: Record<RuleState, number> = { exported: 0, ignored: 0, rejected: 0 };
    const rejected: Rejection[] = [];
    const accepted: { labels: Map<string, string>; bytes: bigint; packets: bigint }[] = [];
    const keySet = new Set<string>();

    for (const rule of rules) {
      const verdict = this.#classify(rule.comment, cache);
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
        const labels = rule.location ? withLocation(verdict.labels, rule.location) : verdict.labels;
        for (const k of labels.keys()) keySet.add(k);
        accepted.push({ labels, bytes: rule.bytes, packets: rule.packets });
      }
    }
    this.#cache = cache;

    const keys = [...keySet].sort();
    const byLabels = new Map<string, Series>();
    for (const { labels, bytes, packets } of accepted) {
      const values = keys.map((k) => labels.get(k) ?? "");
      // Comments are C strings: they cannot contain NUL, so it separates values unambiguously.
      const id = values.join("\0");
      const existing = byLabels.get(id);
      if (existing) {
        existing.bytes += bytes;
        existing.packets += packets;
        existing.rules++;
      } else {
        byLabels.set(id, { values, bytes, packets, rules: 1 });
      }
    }
    return { keys, series: [...byLabels.values()], counts, rejected };
  }

  #classify(comment: string | undefined, next: Map<string, Classified>): Classified {
    if (comment === undefined) return { ok: "none" };
    let verdict = next.get(comment) ?? this.#cache.get(comment);
    if (!verdict) verdict = classify(parseComment(comment));
    next.set(comment, verdict);
    return verdict;
  }
}

function classify(parsed: ParsedComment): Classified {
  if (parsed.kind === "none") return { ok: "none" };
  if (parsed.kind === "invalid") return { ok: false, reason: `malformed comment: ${parsed.reason}` };
  for (const key of parsed.labels.keys()) {
    const problem = labelNameProblem(key);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, labels: parsed.labels };
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
