/**
 * How a rule's label map is assembled beyond its nft(...) comment. Precedence, one rule everywhere: a
 * comment key wins over any label nfprom would add under the same name.
 */

/** The label that identifies a rule exported only because of `--all-rules`. */
export const RULE_LABEL = "rule";

/**
 * allRulesLabels identifies a rule that has a counter but no nft(...) comment. Its plain comment when it
 * has one: comments survive `nft -f` reloads and rule moves, and the user chose them. Otherwise `#<n>`,
 * its 1-based position in the dump: stable across reloads of the same ruleset, but it shifts when a rule
 * is inserted above it. Handles are not used: every reload renumbers them.
 */
export function allRulesLabels(comment: string | undefined, position: number): Map<string, string> {
  const text = comment?.trim();
  return new Map([[RULE_LABEL, text ? text : `#${position}`]]);
}

/** withDerived adds rule-derived labels (`names` aligned with `values`) under the rule's own labels. */
export function withDerived(
  labels: ReadonlyMap<string, string>,
  names: readonly string[],
  values: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < names.length; i++) out.set(names[i] as string, values[i] ?? "");
  for (const [k, v] of labels) out.set(k, v);
  return out;
}
