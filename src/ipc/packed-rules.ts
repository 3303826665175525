import type { Location, RuleCounters } from "../model/snapshot.js";
import { sameBytes, sameStrings } from "./packed-sources.js";

/**
 * PackedRules is the wire form of a snapshot's rules: columns instead of one object per rule. The structured
 * clone of the IPC channel copies typed arrays as single blocks, while each rule object with three bigints
 * costs it an object and three bigint records to write and read back: at 100k rules the columns halve the
 * time both processes spend on the copy and the memory the web process needs to receive it.
 */
export interface PackedRules {
  count: number;
  families: Uint8Array;
  /** handle, bytes, packets per rule (bytes/packets 0 when the rule has no counter). */
  numbers: BigUint64Array;
  /** Bit 0: the rule has a counter; bit 1: it counts in a named object. */
  flags: Uint8Array;
  comments: (string | undefined)[];
  /** Sparse columns: present only when some rule has the field. */
  derived?: (string[] | undefined)[];
  locations?: (Location | undefined)[];
}

const HAS_COUNTER = 1;
const COUNTS_IN_OBJECT = 2;

/** packRules turns rules into columns; unpackRules(packRules(r)) is deep-equal to r. */
export function packRules(rules: readonly RuleCounters[]): PackedRules {
  const n = rules.length;
  const packed: PackedRules = {
    count: n,
    families: new Uint8Array(n),
    numbers: new BigUint64Array(n * 3),
    flags: new Uint8Array(n),
    comments: new Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rules[i] as RuleCounters;
    packed.families[i] = r.family;
    packed.numbers[3 * i] = r.handle;
    if (r.bytes !== undefined && r.packets !== undefined) {
      packed.numbers[3 * i + 1] = r.bytes;
      packed.numbers[3 * i + 2] = r.packets;
      packed.flags[i] = HAS_COUNTER;
    }
    if (r.countsInObject) packed.flags[i] = (packed.flags[i] as number) | COUNTS_IN_OBJECT;
    packed.comments[i] = r.comment;
    if (r.derived) {
      packed.derived ??= new Array(n);
      packed.derived[i] = r.derived;
    }
    if (r.location) {
      packed.locations ??= new Array(n);
      packed.locations[i] = r.location;
    }
  }
  return packed;
}

/** unpackRules rebuilds the rule objects the label policy works on. */
export function unpackRules(packed: PackedRules): RuleCounters[] {
  const rules: RuleCounters[] = new Array(packed.count);
  for (let i = 0; i < packed.count; i++) {
    const flags = packed.flags[i] as number;
    const counted = (flags & HAS_COUNTER) !== 0;
    const rule: RuleCounters = {
      family: packed.families[i] as number,
      handle: packed.numbers[3 * i] as bigint,
      comment: packed.comments[i],
      bytes: counted ? packed.numbers[3 * i + 1] : undefined,
      packets: counted ? packed.numbers[3 * i + 2] : undefined,
    };
    if (flags & COUNTS_IN_OBJECT) rule.countsInObject = true;
    const derived = packed.derived?.[i];
    if (derived) rule.derived = derived;
    const location = packed.locations?.[i];
    if (location) rule.location = location;
    rules[i] = rule;
  }
  return rules;
}

/**
 * sameStructure: the two reads hold the same rules in the same order, with the same handles, comments,
 * counter presence, derived labels and locations; only their counter values may differ. Everything the
 * label policy decides depends on these alone, so its last result still holds.
 */
export function sameStructure(a: PackedRules, b: PackedRules): boolean {
  if (a.count !== b.count || !sameBytes(a.families, b.families) || !sameBytes(a.flags, b.flags)) return false;
  // Handles compared as two 32-bit halves: reading a BigUint64Array allocates a bigint per element.
  const [ha, hb] = [words(a.numbers), words(b.numbers)];
  for (let i = 0; i < 6 * a.count; i += 6) if (ha[i] !== hb[i] || ha[i + 1] !== hb[i + 1]) return false;
  if (!sameStrings(a.comments, b.comments)) return false;
  if (!sameSparse(a.derived, b.derived, (x, y) => sameStrings(x, y))) return false;
  return sameSparse(
    a.locations,
    b.locations,
    (x, y) => x === y || (x.family === y.family && x.table === y.table && x.chain === y.chain),
  );
}

function words(numbers: BigUint64Array): Uint32Array {
  return new Uint32Array(numbers.buffer, numbers.byteOffset, numbers.length * 2);
}

function sameSparse<T>(
  a: readonly (T | undefined)[] | undefined,
  b: readonly (T | undefined)[] | undefined,
  same: (x: T, y: T) => boolean,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined ? x !== y : !same(x, y)) return false;
  }
  return true;
}
