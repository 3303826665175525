import type { CommentedItem } from "../labels/items.js";
import { matchesAny, type NamePattern } from "../model/pattern.js";
import type { RuleCounters } from "../model/snapshot.js";
import { FAMILIES } from "../nftables/constants.js";
import { commentedCounter, commentedQuota } from "../sources/objects/slice.js";
import { commentedElement } from "../sources/sets/slice.js";

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

/** ItemSelector: the -counters, -quotas and -sets patterns. */
export interface ItemSelector {
  counters: readonly NamePattern[];
  quotas: readonly NamePattern[];
  sets: readonly NamePattern[];
}

/**
 * itemsFromNftJson lists the named counters, quotas and set and map elements the patterns select, with
 * their comments, from the same JSON as rulesFromNftJson.
 */
export function itemsFromNftJson(text: string, want: ItemSelector): CommentedItem[] {
  const items: CommentedItem[] = [];
  for (const entry of nftObjects(text)) {
    const [type, obj] = Object.entries(entry)[0] ?? [];
    if (!obj || typeof obj !== "object") continue;
    const o = obj as Record<string, unknown>;
    const family = FAMILIES[o.family as keyof typeof FAMILIES];
    const [table, name] = [String(o.table), String(o.name)];
    if (family === undefined) continue;
    const comment = typeof o.comment === "string" ? o.comment : undefined;
    const selected = (patterns: readonly NamePattern[]) => matchesAny(patterns, family, table, name);
    if (type === "counter" && selected(want.counters)) {
      items.push(commentedCounter(String(o.family), table, name, comment));
    } else if (type === "quota" && selected(want.quotas)) {
      items.push(commentedQuota(String(o.family), table, name, o.inv === true, comment));
    } else if ((type === "set" || type === "map") && selected(want.sets)) {
      items.push(...elementItems(o));
    }
  }
  return items;
}

/**
 * elementItems: a set's or map's elements with a counter (those the exporter exports). A map lists
 * [element, data]; an element with a counter is {elem: {val, counter, comment?}}, one without its bare value.
 */
function elementItems(set: Record<string, unknown>): CommentedItem[] {
  const items: CommentedItem[] = [];
  for (const listed of Array.isArray(set.elem) ? set.elem : []) {
    const el = (Array.isArray(listed) ? listed[0] : listed) as { elem?: Record<string, unknown> };
    if (!el?.elem?.counter) continue;
    const comment = typeof el.elem.comment === "string" ? el.elem.comment : undefined;
    const [family, table, name] = [String(set.family), String(set.table), String(set.name)];
    items.push(commentedElement(family, table, name, jsonKeyText(el.elem.val), comment));
  }
  return items;
}

/** jsonKeyText: an element key as nft prints it, from its JSON form (for naming it in a finding). */
function jsonKeyText(val: unknown): string {
  if (typeof val === "string" || typeof val === "number") return String(val);
  const v = val as { prefix?: { addr: string; len: number }; range?: unknown[]; concat?: unknown[] };
  if (v?.prefix) return `${v.prefix.addr}/${v.prefix.len}`;
  if (Array.isArray(v?.range)) return v.range.map(jsonKeyText).join("-");
  if (Array.isArray(v?.concat)) return v.concat.map(jsonKeyText).join(" . ");
  return JSON.stringify(val);
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
