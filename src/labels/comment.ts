/**
 * The rule comment grammar nfprom shares with the Go tool: `nft(key=value;key=value)`.
 *
 * - Only comments that start with `nft(` and end with `)` carry labels; any other comment is ignored.
 * - Pairs are separated by `;`; empty pairs (`;;`, a trailing `;`) are skipped.
 * - A pair splits at its first `=`, so values may contain `=`. Keys and values are trimmed of whitespace.
 * - A pair without `=`, an empty key or a key given twice makes the comment invalid.
 * Label-name validity is policy, not grammar: see policy.ts.
 */
export type ParsedComment =
  | { kind: "none" }
  | { kind: "labels"; labels: Map<string, string> }
  | { kind: "invalid"; reason: string };

const PREFIX = "nft(";
const SUFFIX = ")";

/** parseComment never throws: every comment maps to none, labels or invalid-with-reason. */
export function parseComment(comment: string | undefined): ParsedComment {
  if (comment === undefined) return { kind: "none" };
  const text = comment.trim();
  if (!text.startsWith(PREFIX) || !text.endsWith(SUFFIX) || text.length < PREFIX.length + SUFFIX.length) {
    return { kind: "none" };
  }
  const labels = new Map<string, string>();
  for (const pair of text.slice(PREFIX.length, -SUFFIX.length).split(";")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq === -1) return { kind: "invalid", reason: `"${pair.trim()}" is not key=value` };
    const key = pair.slice(0, eq).trim();
    if (key === "") return { kind: "invalid", reason: `empty key in "${pair.trim()}"` };
    if (labels.has(key)) return { kind: "invalid", reason: `key "${key}" given twice` };
    labels.set(key, pair.slice(eq + 1).trim());
  }
  return { kind: "labels", labels };
}
