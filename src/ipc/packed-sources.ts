import type { NamedCounter, SetCounters } from "../model/snapshot.js";

/**
 * The wire form of the sections that grow to 100k items: named counters and set elements travel as
 * columns, like rules (model/rule-columns.ts). Besides the cheaper structured clone, the columns let the web
 * process see at a glance that nothing but the numbers changed since the last scrape (sameStrings on the
 * identity columns), and then reuse the label text it rendered then.
 */

/** PackedCounters: named counters as columns; their tables listed once (objects of a table come together). */
export interface PackedCounters {
  tables: { family: string; table: string }[];
  /** Per counter: its table, as an index into `tables`. */
  tableOf: Uint32Array;
  names: string[];
  comments: (string | undefined)[];
  /** bytes, packets per counter. */
  numbers: BigUint64Array;
}

/** PackedSet: one set's identity and its elements as columns. */
export interface PackedSet {
  family: string;
  table: string;
  name: string;
  size: number;
  leftOut: number;
  keys: string[];
  comments: (string | undefined)[];
  /** bytes, packets per element. */
  numbers: BigUint64Array;
}

export function packCounters(counters: readonly NamedCounter[]): PackedCounters {
  const n = counters.length;
  const packed: PackedCounters = {
    tables: [],
    tableOf: new Uint32Array(n),
    names: new Array(n),
    comments: new Array(n),
    numbers: new BigUint64Array(2 * n),
  };
  let last: { family: string; table: string } | undefined;
  for (let i = 0; i < n; i++) {
    const c = counters[i] as NamedCounter;
    if (last?.family !== c.family || last.table !== c.table) {
      last = { family: c.family, table: c.table };
      packed.tables.push(last);
    }
    packed.tableOf[i] = packed.tables.length - 1;
    packed.names[i] = c.name;
    packed.comments[i] = c.comment;
    packed.numbers[2 * i] = c.bytes;
    packed.numbers[2 * i + 1] = c.packets;
  }
  return packed;
}

export function packSet(set: SetCounters): PackedSet {
  const n = set.elements.length;
  const { family, table, name, size, leftOut } = set;
  const packed: PackedSet = {
    family,
    table,
    name,
    size,
    leftOut,
    keys: new Array(n),
    comments: new Array(n),
    numbers: new BigUint64Array(2 * n),
  };
  set.elements.forEach((e, i) => {
    packed.keys[i] = e.key;
    packed.comments[i] = e.comment;
    packed.numbers[2 * i] = e.bytes;
    packed.numbers[2 * i + 1] = e.packets;
  });
  return packed;
}
