import { grown, u64Words } from "./columns.js";
import type { NamedCounter, SetCounters } from "./records.js";

/**
 * The sections that grow to 100k items, named counters and set elements, are kept as columns, like rules
 * (rule-columns.ts): the reader appends to them as it decodes (100k objects kept until the reply was most
 * of the reader's heap), V8's serialization of the reply copies each typed array as one block, and the
 * web process sees at a glance that nothing but the numbers changed since the last scrape (sameStrings
 * on the identity columns), and then reuses the label text it rendered then.
 */

/** CounterColumns: named counters; their tables listed once (objects of a table come together). */
export interface CounterColumns {
  tables: { family: string; table: string }[];
  /** Per counter: its table, as an index into `tables`. */
  tableOf: Uint32Array;
  names: string[];
  comments: (string | undefined)[];
  /** bytes, packets per counter. */
  numbers: BigUint64Array;
}

/** SetColumns: one set's identity and its elements. */
export interface SetColumns {
  family: string;
  table: string;
  name: string;
  size: number;
  /** The declared `size` (most elements the set may hold); 0 when none was declared. */
  maxSize: number;
  leftOut: number;
  /** Elements the dump sent more than once (a set changing during its dump), kept once. */
  repeated: number;
  keys: string[];
  comments: (string | undefined)[];
  /** bytes, packets per element. */
  numbers: BigUint64Array;
}

/** CountedItems grows the columns every item has: a name or key, a comment, bytes and packets. */
class CountedItems {
  count = 0;
  readonly names: string[] = [];
  readonly comments: (string | undefined)[] = [];
  #numbers: BigUint64Array;
  #words: Uint32Array;

  /** capacity: items expected (the last read's count), so that a read of the same size never regrows. */
  constructor(capacity = 256) {
    this.#numbers = new BigUint64Array(2 * (capacity > 0 ? capacity : 256));
    this.#words = u64Words(this.#numbers);
  }

  add(name: string, comment: string | undefined, bytes: bigint, packets: bigint): void {
    this.#room();
    this.#numbers[2 * this.count] = bytes;
    this.#numbers[2 * this.count + 1] = packets;
    this.#push(name, comment);
  }

  /**
   * addWords is add() with bytes and packets given as the four 32-bit words of two BigUint64Array
   * elements (AttributeDecoder.u64To): no bigint is made, and no view either (100k items a read).
   */
  addWords(name: string, comment: string | undefined, words: Uint32Array): void {
    this.#room();
    const to = this.#words;
    const at = 4 * this.count;
    to[at] = words[0] as number;
    to[at + 1] = words[1] as number;
    to[at + 2] = words[2] as number;
    to[at + 3] = words[3] as number;
    this.#push(name, comment);
  }

  #room(): void {
    if (2 * this.count < this.#numbers.length) return;
    this.#numbers = grown(this.#numbers, new BigUint64Array(2 * this.#numbers.length));
    this.#words = u64Words(this.#numbers);
  }

  #push(name: string, comment: string | undefined): void {
    this.names.push(name);
    this.comments.push(comment);
    this.count++;
  }

  /** numbers of exactly `count` items: the column itself when it is full, else a copy of its used part. */
  numbers(): BigUint64Array {
    const used = 2 * this.count;
    return used === this.#numbers.length ? this.#numbers : this.#numbers.slice(0, used);
  }
}

/** CounterColumnsBuilder appends named counters, in the kernel's order. */
export class CounterColumnsBuilder {
  readonly #items: CountedItems;
  readonly #tables: { family: string; table: string }[] = [];
  #tableOf: Uint32Array;

  /** capacity: counters expected (see CountedItems). */
  constructor(capacity?: number) {
    this.#items = new CountedItems(capacity);
    this.#tableOf = new Uint32Array(capacity || 256);
  }

  add(
    family: string,
    table: string,
    name: string,
    comment: string | undefined,
    bytes: bigint,
    packets: bigint,
  ) {
    this.#table(family, table);
    this.#items.add(name, comment, bytes, packets);
  }

  /** addWords is add() with bytes and packets as 32-bit words (see CountedItems.addWords). */
  addWords(family: string, table: string, name: string, comment: string | undefined, words: Uint32Array) {
    this.#table(family, table);
    this.#items.addWords(name, comment, words);
  }

  #table(family: string, table: string): void {
    const last = this.#tables[this.#tables.length - 1];
    if (last?.family !== family || last.table !== table) this.#tables.push({ family, table });
    const i = this.#items.count; // the item being added
    if (i === this.#tableOf.length) this.#tableOf = grown(this.#tableOf, new Uint32Array(2 * i));
    this.#tableOf[i] = this.#tables.length - 1;
  }

  finish(): CounterColumns {
    const items = this.#items;
    const count = items.count;
    const tableOf = count === this.#tableOf.length ? this.#tableOf : this.#tableOf.slice(0, count);
    return {
      tables: this.#tables,
      tableOf,
      names: items.names,
      comments: items.comments,
      numbers: items.numbers(),
    };
  }
}

/** ElementColumnsBuilder appends one set's elements. */
export class ElementColumnsBuilder {
  readonly #items: CountedItems;

  /** capacity: elements expected (see CountedItems). */
  constructor(capacity?: number) {
    this.#items = new CountedItems(capacity);
  }

  add(key: string, comment: string | undefined, bytes: bigint, packets: bigint): void {
    this.#items.add(key, comment, bytes, packets);
  }

  /** addWords is add() with bytes and packets as 32-bit words (see CountedItems.addWords). */
  addWords(key: string, comment: string | undefined, words: Uint32Array): void {
    this.#items.addWords(key, comment, words);
  }

  finish(set: Omit<SetColumns, "keys" | "comments" | "numbers">): SetColumns {
    const items = this.#items;
    return { ...set, keys: items.names, comments: items.comments, numbers: items.numbers() };
  }
}

/** counterColumns turns named counter objects into columns (tests, and any source that has objects). */
export function counterColumns(counters: readonly NamedCounter[]): CounterColumns {
  const builder = new CounterColumnsBuilder();
  for (const c of counters) builder.add(c.family, c.table, c.name, c.comment, c.bytes, c.packets);
  return builder.finish();
}

/** setColumns turns a set and its element objects into columns. */
export function setColumns(set: SetCounters): SetColumns {
  const { elements, repeated = 0, maxSize = 0, ...identity } = set;
  const builder = new ElementColumnsBuilder();
  for (const e of elements) builder.add(e.key, e.comment, e.bytes, e.packets);
  return builder.finish({ ...identity, maxSize, repeated });
}
