import { u64Column, u64Words } from "../../model/columns.js";
import { columnsFromRules, type RuleColumns } from "../../model/rule-columns.js";
import { type SourceSlice, slot, type Words } from "../slice.js";
import { rulesCheck } from "./check.js";
import { RuleRenderer } from "./render.js";

/** RulesWire: the rule columns as they cross the boundary. */
export type RulesWire = { rules: Words<RuleColumns> };

/**
 * rulesSlice: the rule counters of the chain(s) (-table/-chain or -chains), read by rulesFor (source.ts),
 * rendered through the label policy and judged by it in `nfprom check`.
 */
export const rulesSlice: SourceSlice<RulesWire> = {
  name: "rules",
  required: true,
  flags: [],
  sample: () => ({
    rules: columnsFromRules([{ family: 1, handle: 1n, comment: "nft(KEY=a)", bytes: 1n, packets: 1n }]),
  }),
  toWire(from, to) {
    if (from.rules) to.rules = { ...from.rules, numbers: u64Words(from.rules.numbers) };
  },
  fromWire(from, to) {
    to.rules = { ...from.rules, numbers: u64Column(from.rules.numbers) };
  },
  slots: (wire, prefix) => [slot(`${prefix}rules.comments`, wire.rules, "comments")],
  renderer: (context) => new RuleRenderer(context),
  check: rulesCheck,
};
