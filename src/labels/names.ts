import type { ParsedComment } from "./comment.js";

/**
 * The steps of the label pipeline that rules (policy.ts) and the optional sources' items (item-texts.ts)
 * share: a comment's keys checked and renamed into label pairs, and the most used label names kept under
 * -max-label-names.
 */

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** labelNameProblem says why a name cannot be a Prometheus label name, or undefined when it can. */
export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `"${name}" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`;
  if (name.startsWith("__")) return `"${name}" uses the prefix __, reserved by Prometheus`;
  return undefined;
}

/**
 * RESERVED_LABELS: comment keys exported as `exported_<key>`, and why. job and instance: Prometheus
 * sets them on every target and renames a scraped one so. le and quantile: Prometheus reads them as a
 * histogram's bucket bound and a summary's quantile; on a counter promtool refuses them.
 */
export const RESERVED_LABELS: ReadonlyMap<string, string> = new Map([
  ["job", "Prometheus sets job and instance itself"],
  ["instance", "Prometheus sets job and instance itself"],
  ["le", "Prometheus reads le as a histogram bucket bound"],
  ["quantile", "Prometheus reads quantile as a summary quantile"],
]);

/**
 * exportedAs is the one renaming rule: a comment key is exported as `exported_<key>` when it is reserved
 * or one of the labels nfprom sets itself (`taken`), the way Prometheus renames a scraped label that
 * clashes with a target label, so that neither value is lost; otherwise under its own name.
 */
export function exportedAs(key: string, taken?: ReadonlySet<string>): string {
  return RESERVED_LABELS.has(key) || taken?.has(key) ? `exported_${key}` : key;
}

/**
 * CommentLabels: what a comment adds to its series' labels: nothing (not nft(...)), nothing and why
 * (malformed, or a key that is no label name), or its label pairs under their exported names.
 */
export type CommentLabels =
  | { kind: "none" }
  | { kind: "refused"; reason: string }
  | { kind: "labels"; labels: Map<string, string>; renamed: readonly string[] };

const NO_LABELS: CommentLabels = { kind: "none" };
const NOTHING_RENAMED: readonly string[] = [];

/**
 * commentLabels checks a parsed comment's keys and renames those that are reserved or `taken`
 * (exportedAs), listing them in `renamed`. A comment with nothing to rename keeps its parsed map: rules
 * are evaluated by the hundred thousand, and most comments rename nothing.
 */
export function commentLabels(parsed: ParsedComment, taken?: ReadonlySet<string>): CommentLabels {
  if (parsed.kind === "none") return NO_LABELS;
  if (parsed.kind === "invalid") return { kind: "refused", reason: parsed.reason };
  let renamed: string[] | undefined;
  for (const key of parsed.labels.keys()) {
    const problem = labelNameProblem(key);
    if (problem) return { kind: "refused", reason: problem };
    if (exportedAs(key, taken) === key) continue;
    renamed ??= [];
    renamed.push(key);
  }
  if (!renamed) return { kind: "labels", labels: parsed.labels, renamed: NOTHING_RENAMED };
  const labels = new Map<string, string>();
  for (const [k, v] of parsed.labels) labels.set(exportedAs(k, taken), v);
  return { kind: "labels", labels, renamed };
}

/** mostUsed: the `max` names that the most series use (`uses`: name → series); ties go to the name that sorts first. */
export function mostUsed(uses: ReadonlyMap<string, number>, max: number): string[] {
  const ranked = [...uses].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return ranked.slice(0, max).map(([k]) => k);
}
