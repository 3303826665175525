import { readNftJson } from "../../../src/check/nft-json.js";
import type { Config } from "../../../src/config/config.js";
import type { CommentedItem } from "../../../src/labels/items.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";
import { type ChainSelector, ruleFromNftJson } from "../../../src/sources/rules/check.js";
import { SLICES } from "../../../src/sources/slices.js";

/** rulesFromNftJson: the rules of the chain `want` selects in `nft -j` output, as `nfprom check` reads them. */
export function rulesFromNftJson(text: string, want: ChainSelector): RuleCounters[] {
  const rules: RuleCounters[] = [];
  const json = (type: string, obj: Parameters<typeof ruleFromNftJson>[0]) => {
    const rule = type === "rule" ? ruleFromNftJson(obj, want) : undefined;
    if (rule) rules.push(rule);
  };
  readNftJson(text, [{ read: () => {}, json, items: [], judge: () => {} }]);
  return rules;
}

/** itemsFromNftJson: the commented items every slice's check takes from `nft -j` output under `config`. */
export function itemsFromNftJson(text: string, config: Config): CommentedItem[] {
  const checks = SLICES.map((slice) => slice.check(config));
  readNftJson(text, checks);
  return checks.flatMap((check) => check.items);
}
