import type { Config } from "../config/config.js";
import type { CommentedItem } from "../labels/items.js";
import type { RuleCounters } from "../model/snapshot.js";
import { FAMILIES } from "../nftables/constants.js";
import { SLICES } from "../sources/slices.js";

/** ChainSelector picks the rules of one chain; family "all" accepts the chain in every family. */
export interface ChainSelector {
  family: keyof typeof FAMILIES;
  table: string;
  chain: string;
}

const U64 = 1n << 64n;

/**
 * rulesFromNftJson maps `nft -j list ruleset` (or `list chain`/`list table`) output to the rules of one
 * chain, in order, as the kernel reader would report them. Counters are read exactly: JSON.parse would
 * round integers above 2^53, and nft prints u64 counters of 2^63 and more as negative numbers, so big
 * integers are quoted before parsing and negative ones taken modulo 2^64. Throws on text that is not
 * libnftables JSON.
 */
export function rulesFromNftJson(text: string, want: ChainSelector): RuleCounters[] {
  const rules: RuleCounters[] = [];
  for (const item of nftObjects(text)) {
    const rule = item?.rule as Record<string, unknown> | undefined;
    if (!rule || rule.table !== want.table || rule.chain !== want.chain) continue;
    const family = FAMILIES[rule.family as keyof typeof FAMILIES];
    if (family === undefined || (want.family !== "all" && FAMILIES[want.family] !== family)) continue;
    const counter = findCounter(rule.expr);
    rules.push({
      family,
      handle: BigInt(String(rule.handle ?? 0)),
      comment: typeof rule.comment === "string" ? rule.comment : undefined,
      bytes: counter && u64(counter.bytes),
      packets: counter && u64(counter.packets),
    });
  }
  return rules;
}

/**
 * itemsFromNftJson lists the items of the optional sources the configuration selects (named counters,
 * quotas, set and map elements) with their comments, from the same JSON as rulesFromNftJson.
 */
export function itemsFromNftJson(text: string, config: Config): CommentedItem[] {
  const items: CommentedItem[] = [];
  for (const entry of nftObjects(text)) {
    const [type, obj] = Object.entries(entry)[0] ?? [];
    if (!type || !obj || typeof obj !== "object") continue;
    const o = obj as Record<string, unknown>;
    const familyNumber = FAMILIES[o.family as keyof typeof FAMILIES];
    if (familyNumber === undefined) continue;
    const [family, table, name] = [String(o.family), String(o.table), String(o.name)];
    const known = { ...o, family, familyNumber, table, name };
    for (const slice of SLICES) items.push(...slice.jsonItems(type, known, config));
  }
  return items;
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

/** nftObjects: the items of the "nftables" array; throws on text that is not libnftables JSON. */
function nftObjects(text: string): Record<string, unknown>[] {
  const doc = JSON.parse(quoteBigIntegers(text)) as { nftables?: unknown };
  if (!doc || !Array.isArray(doc.nftables)) throw new Error('not nft -j output: no "nftables" array');
  return doc.nftables as Record<string, unknown>[];
}

function u64(v: unknown): bigint {
  const n = BigInt(String(v ?? 0));
  return n < 0n ? n + U64 : n;
}

/**
 * quoteBigIntegers wraps every integer literal outside strings that a double cannot hold exactly in
 * quotes, so JSON.parse keeps its digits. Strings (comments may contain digits) are copied untouched.
 */
export function quoteBigIntegers(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(
      c === "-" || (c >= "0" && c <= "9") ? text.slice(i, i + 40) : "",
    );
    if (!m) {
      out += c;
      i++;
      continue;
    }
    const num = m[0];
    out += /^-?\d+$/.test(num) && !Number.isSafeInteger(Number(num)) ? `"${num}"` : num;
    i += num.length;
  }
  return out;
}

/** stringEnd returns the index after the closing quote of the JSON string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}
