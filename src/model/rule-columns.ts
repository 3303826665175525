import { grown, sameBytes, sameStrings, u64Words } from "./columns.js";
import type { Location, RuleCounters } from "./records.js";

/**
 * RuleColumns holds a snapshot's rules as columns instead of one object per rule. The reader decodes rule
 * messages straight into them (no object, no bigint per rule: at 100k rules those objects were most of
 * the reader's garbage), V8's serialization of the reply copies each typed array as one block, and the
 * web process compares them with the last read's to reuse its plan (sameStructure).
 */
export interface RuleColumns {
  count: number;
  families: Uint8Array;
  /** handle, bytes, packets per rule (bytes/packets 0 when the rule has no counter). */
  numbers: BigUint64Array;
  /** Bit 0: the rule has a counter; bit 1: it counts in a named object. */
  flags: Uint8Array;
  comments: (string | undefined)[];
  /** Sparse columns: present only when some rule has the field. */
  derived?: (string[] | undefined)[];
  locations?: LocationColumn;
}

/**
 * LocationColumn says which chain each rule was read from, when several are: rule i is in
 * places[placeOf[i]]. A table and a typed index, not a Location per rule: V8's serialization of the reply
 * would write a back-reference per rule (docs/design-notes.md).
 */
export interface LocationColumn {
  places: (Location | undefined)[];
  placeOf: Uint32Array;
}

/** locationOf is rule i's location, or undefined when its snapshot has a single chain. */
export function locationOf(columns: RuleColumns, i: number): Location | undefined {
  const locations = columns.locations;
  return locations ? locations.places[locations.placeOf[i] as number] : undefined;
}

export const HAS_COUNTER = 1;
export const COUNTS_IN_OBJECT = 2;

/** A rule's numbers: handle, bytes, packets, at NUMBERS_PER_RULE * i + HANDLE, BYTES, PACKETS. */
export const NUMBERS_PER_RULE = 3;
const HANDLE = 0;
const BYTES = 1;
const PACKETS = 2;
/** Offsets of a rule's three numbers, in 32-bit words from the rule's first word (see RuleColumnsBuilder.words). */
export const HANDLE_WORD = 2 * HANDLE;
export const BYTES_WORD = 2 * BYTES;
export const PACKETS_WORD = 2 * PACKETS;
export const WORDS_PER_RULE = 2 * NUMBERS_PER_RULE;

/** handleOf, bytesOf, packetsOf read rule i's numbers from a numbers column. */
export function handleOf(numbers: BigUint64Array, i: number): bigint {
  return numbers[NUMBERS_PER_RULE * i + HANDLE] as bigint;
}
export function bytesOf(numbers: BigUint64Array, i: number): bigint {
  return numbers[NUMBERS_PER_RULE * i + BYTES] as bigint;
}
export function packetsOf(numbers: BigUint64Array, i: number): bigint {
  return numbers[NUMBERS_PER_RULE * i + PACKETS] as bigint;
}

/**
 * RuleColumnsBuilder appends rules to growing columns. The numbers are written as 32-bit words
 * (`words`, a view of the 64-bit column) so that a decoder can copy them from a message without a bigint;
 * `wordsOf(i)` is where rule i's numbers begin (HANDLE_WORD, BYTES_WORD, PACKETS_WORD after it).
 */
export class RuleColumnsBuilder {
  count = 0;
  families: Uint8Array;
  numbers: BigUint64Array;
  words: Uint32Array;
  flags: Uint8Array;
  comments: (string | undefined)[] = [];
  derived: (string[] | undefined)[] | undefined;

  /**
   * `capacity`: the rules expected. A reader passes its last read's count: a chain rarely changes size, and
   * columns of exactly the right size are the snapshot as they are (finish), with no copy and no garbage.
   */
  constructor(capacity = 256) {
    const size = capacity > 0 ? capacity : 256;
    this.families = new Uint8Array(size);
    this.numbers = new BigUint64Array(NUMBERS_PER_RULE * size);
    this.words = u64Words(this.numbers);
    this.flags = new Uint8Array(size);
  }

  /** add starts rule `count` (family, no counter, no comment) and returns its index. */
  add(family: number): number {
    if (this.count === this.families.length) this.#grow();
    const i = this.count++;
    this.families[i] = family;
    this.comments.push(undefined);
    return i;
  }

  wordsOf(i: number): number {
    return WORDS_PER_RULE * i;
  }

  /** addRule appends a rule given as an object (the slow paths: derived labels, tests). */
  addRule(rule: RuleCounters): number {
    const i = this.add(rule.family);
    this.replace(i, rule);
    return i;
  }

  /** replace sets every field of rule i from `rule`. */
  replace(i: number, rule: RuleCounters): void {
    this.families[i] = rule.family;
    const at = NUMBERS_PER_RULE * i;
    this.numbers[at + HANDLE] = rule.handle;
    this.numbers[at + BYTES] = 0n;
    this.numbers[at + PACKETS] = 0n;
    this.flags[i] = 0;
    if (rule.bytes !== undefined && rule.packets !== undefined) {
      this.numbers[at + BYTES] = rule.bytes;
      this.numbers[at + PACKETS] = rule.packets;
      this.flags[i] = HAS_COUNTER;
    }
    if (rule.countsInObject) this.flags[i] = (this.flags[i] as number) | COUNTS_IN_OBJECT;
    this.comments[i] = rule.comment;
    if (rule.derived) this.setDerived(i, rule.derived);
  }

  setDerived(i: number, values: string[]): void {
    this.derived ??= [];
    this.derived[i] = values;
  }

  /**
   * finish returns columns of exactly `count` rules: the builder's own when they are that size, copies
   * otherwise (the reply's serialization copies a typed array whole, spare room included, and a snapshot is
   * kept).
   */
  finish(): RuleColumns {
    const n = this.count;
    const exact = n === this.families.length;
    const columns: RuleColumns = {
      count: n,
      families: exact ? this.families : this.families.slice(0, n),
      numbers: exact ? this.numbers : this.numbers.slice(0, NUMBERS_PER_RULE * n),
      flags: exact ? this.flags : this.flags.slice(0, n),
      comments: this.comments,
    };
    if (this.derived) {
      this.derived.length = n;
      columns.derived = this.derived;
    }
    return columns;
  }

  #grow(): void {
    const size = 2 * this.families.length;
    this.families = grown(this.families, new Uint8Array(size));
    this.flags = grown(this.flags, new Uint8Array(size));
    this.numbers = grown(this.numbers, new BigUint64Array(NUMBERS_PER_RULE * size));
    this.words = u64Words(this.numbers);
  }
}

/** columnsFromRules turns rule objects into columns; rulesFromColumns(columnsFromRules(r)) is deep-equal to r. */
export function columnsFromRules(rules: readonly RuleCounters[]): RuleColumns {
  const builder = new RuleColumnsBuilder();
  for (const rule of rules) builder.addRule(rule);
  const columns = builder.finish();
  if (!rules.some((r) => r.location)) return columns;
  const places: (Location | undefined)[] = [];
  const placeOf = Uint32Array.from(rules, ({ location }) => {
    const known = places.indexOf(location);
    return known === -1 ? places.push(location) - 1 : known;
  });
  columns.locations = { places, placeOf };
  return columns;
}

/** rulesFromColumns rebuilds the rule objects the label policy, the JSON file and `check` work on. */
export function rulesFromColumns(columns: RuleColumns): RuleCounters[] {
  const rules: RuleCounters[] = new Array(columns.count);
  for (let i = 0; i < columns.count; i++) {
    const flags = columns.flags[i] as number;
    const counted = (flags & HAS_COUNTER) !== 0;
    const rule: RuleCounters = {
      family: columns.families[i] as number,
      handle: handleOf(columns.numbers, i),
      comment: columns.comments[i],
      bytes: counted ? bytesOf(columns.numbers, i) : undefined,
      packets: counted ? packetsOf(columns.numbers, i) : undefined,
    };
    if (flags & COUNTS_IN_OBJECT) rule.countsInObject = true;
    const derived = columns.derived?.[i];
    if (derived) rule.derived = derived;
    const location = locationOf(columns, i);
    if (location) rule.location = location;
    rules[i] = rule;
  }
  return rules;
}

/** concatColumns joins the rules of several chains, each rule tagged with its chain's location. */
export function concatColumns(parts: readonly { columns: RuleColumns; location: Location }[]): RuleColumns {
  const count = parts.reduce((n, p) => n + p.columns.count, 0);
  const out: RuleColumns = {
    count,
    families: new Uint8Array(count),
    numbers: new BigUint64Array(NUMBERS_PER_RULE * count),
    flags: new Uint8Array(count),
    comments: new Array(count),
    locations: { places: parts.map((p) => p.location), placeOf: new Uint32Array(count) },
  };
  if (parts.some((p) => p.columns.derived)) out.derived = new Array(count);
  let at = 0;
  parts.forEach(({ columns }, place) => {
    out.families.set(columns.families, at);
    out.numbers.set(columns.numbers, NUMBERS_PER_RULE * at);
    out.flags.set(columns.flags, at);
    out.locations?.placeOf.fill(place, at, at + columns.count);
    for (let i = 0; i < columns.count; i++) {
      out.comments[at + i] = columns.comments[i];
      if (out.derived) out.derived[at + i] = columns.derived?.[i];
    }
    at += columns.count;
  });
  return out;
}

/**
 * sameStructure: the two reads hold the same rules in the same order, with the same handles, comments,
 * counter presence, derived labels and locations; only their counter values may differ. Everything the
 * label policy decides depends on these alone, so its last result still holds.
 */
export function sameStructure(a: RuleColumns, b: RuleColumns): boolean {
  if (a.count !== b.count || !sameBytes(a.families, b.families) || !sameBytes(a.flags, b.flags)) return false;
  // Handles compared as two 32-bit halves: reading a BigUint64Array allocates a bigint per element.
  const [ha, hb] = [u64Words(a.numbers), u64Words(b.numbers)];
  for (let i = 0; i < WORDS_PER_RULE * a.count; i += WORDS_PER_RULE)
    if (ha[i] !== hb[i] || ha[i + 1] !== hb[i + 1]) return false;
  if (!sameStrings(a.comments, b.comments)) return false;
  if (!sameSparse(a.derived, b.derived, (x, y) => sameStrings(x, y))) return false;
  const [la, lb] = [a.locations, b.locations];
  if (la === undefined || lb === undefined) return la === lb;
  return sameBytes(la.placeOf, lb.placeOf) && sameSparse(la.places, lb.places, sameLocation);
}

function sameLocation(x: Location, y: Location): boolean {
  return x === y || (x.family === y.family && x.table === y.table && x.chain === y.chain);
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
