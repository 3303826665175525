import { type Config, policyOptions } from "../../config/config.js";
import { diagnose } from "../../labels/diagnose.js";
import { rulesFromColumns } from "../../model/rule-columns.js";
import type { RuleCounters } from "../../model/snapshot.js";
import { FAMILIES } from "../../nftables/constants.js";
import type { NftJsonObject, SliceCheck } from "../slice.js";

/** ChainSelector picks the rules of one chain; family "all" accepts the chain in every family. */
export interface ChainSelector {
  family: keyof typeof FAMILIES;
  table: string;
  chain: string;
}

/**
 * rulesCheck: `nfprom check` of the rules, judged by the exporter's own label policy (labels/diagnose.ts),
 * from the kernel read or from the `rule` objects of `nft -j` output in the chain -table/-chain name.
 */
export function rulesCheck(config: Config): SliceCheck {
  let rules: RuleCounters[] = [];
  let derivedKeys: readonly string[] = [];
  const want: ChainSelector = { family: config.family, table: config.table, chain: config.chain };
  return {
    read(snapshot) {
      rules = rulesFromColumns(snapshot.rules);
      derivedKeys = snapshot.derivedLabels ?? [];
    },
    json(type, obj) {
      const rule = type === "rule" ? ruleFromNftJson(obj, want) : undefined;
      if (rule) rules.push(rule);
    },
    items: [],
    judge(result) {
      const own = diagnose(rules, policyOptions(config), derivedKeys);
      Object.assign(result, { ...own, findings: [...result.findings, ...own.findings] });
    },
  };
}

const U64 = 1n << 64n;

/**
 * ruleFromNftJson: the rule of one `rule` object of `nft -j` output as the kernel reader would report it,
 * when it is in the chain `want` selects. Counters are exact: the text was parsed with its big integers
 * quoted (check/nft-json.ts), and nft prints u64 counters of 2^63 and more as negative numbers, taken
 * modulo 2^64 here.
 */
export function ruleFromNftJson(rule: NftJsonObject, want: ChainSelector): RuleCounters | undefined {
  if (rule.table !== want.table || rule.chain !== want.chain) return undefined;
  if (want.family !== "all" && FAMILIES[want.family] !== rule.familyNumber) return undefined;
  const counter = findCounter(rule.expr);
  return {
    family: rule.familyNumber,
    handle: BigInt(String(rule.handle ?? 0)),
    comment: typeof rule.comment === "string" ? rule.comment : undefined,
    bytes: counter && u64(counter.bytes),
    packets: counter && u64(counter.packets),
  };
}

/** findCounter returns the first anonymous `counter` statement; `counter name x` is a named counter. */
function findCounter(expr: unknown): { bytes: unknown; packets: unknown } | undefined {
  if (!Array.isArray(expr)) return undefined;
  for (const stmt of expr) {
    const c = (stmt as Record<string, unknown>)?.counter;
    if (c && typeof c === "object" && "bytes" in c) return c as { bytes: unknown; packets: unknown };
  }
  return undefined;
}

function u64(v: unknown): bigint {
  const n = BigInt(String(v ?? 0));
  return n < 0n ? n + U64 : n;
}
