import { FAMILIES } from "../nftables/constants.js";
import type { SliceCheck } from "../sources/slice.js";

/**
 * readNftJson hands every object of `nft -j list ruleset` (or `list chain`/`list table`) output whose
 * family nftables knows to each slice's check, its family as nft names it and as its number. Throws on
 * text that is not libnftables JSON.
 */
export function readNftJson(text: string, checks: readonly SliceCheck[]): void {
  for (const entry of nftObjects(text)) {
    const [type, obj] = Object.entries(entry)[0] ?? [];
    if (!type || !obj || typeof obj !== "object") continue;
    const o = obj as Record<string, unknown>;
    const familyNumber = FAMILIES[o.family as keyof typeof FAMILIES];
    if (familyNumber === undefined) continue;
    const [family, table, name] = [String(o.family), String(o.table), String(o.name)];
    const known = { ...o, family, familyNumber, table, name };
    for (const check of checks) check.json(type, known);
  }
}

/**
 * nftObjects: the items of the "nftables" array; throws on text that is not libnftables JSON. Big integers
 * (counters) are quoted before parsing: JSON.parse would round integers above 2^53.
 */
function nftObjects(text: string): Record<string, unknown>[] {
  const doc = JSON.parse(quoteBigIntegers(text)) as { nftables?: unknown };
  if (!doc || !Array.isArray(doc.nftables)) throw new Error('not nft -j output: no "nftables" array');
  return doc.nftables as Record<string, unknown>[];
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
