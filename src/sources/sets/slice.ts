import { columns, formatLabels, type MetricFamily } from "../../exposition/text.js";
import { itemFinding } from "../../labels/diagnose.js";
import type { ItemGroup, KindLabels } from "../../labels/item-texts.js";
import type { CommentedItem } from "../../labels/items.js";
import { sameStrings, u64Column, u64Words } from "../../model/columns.js";
import { matchesAny, parsePattern } from "../../model/pattern.js";
import { type SetColumns, setColumns } from "../../model/source-columns.js";
import { type ItemSlice, itemsCheck } from "../check.js";
import {
  type NftJsonObject,
  patternsOf,
  type RenderContext,
  type Sections,
  type SelectionFlag,
  type SliceRenderer,
  slot,
  type Words,
} from "../slice.js";

/**
 * The sets source's section of every snapshot, added to model/'s SnapshotSections from here: absent when
 * -sets is off. Each set's elements are columns (model/source-columns.ts keeps the layout).
 */
declare module "../../model/snapshot.js" {
  interface SnapshotSections {
    sets?: SetColumns[];
  }
}

/** SetsWire: the selected sets as they cross the boundary. */
export type SetsWire = { sets?: Words<SetColumns>[] };

/** SETS_FLAG (-sets) selects the sets and maps whose elements are exported. */
export const SETS_FLAG: SelectionFlag = {
  name: "sets",
  arg: "[family/]table/set",
  help: "export per-element counters of the sets and maps matching this glob (declared with counter)",
  parse: parsePattern,
};

/** setsSlice: the elements of named sets and maps (-sets), read by setsSource (source.ts). */
export const setsSlice: ItemSlice<SetsWire> = {
  name: "sets",
  required: false,
  toWire(from, to) {
    if (from.sets) to.sets = from.sets.map((set) => ({ ...set, numbers: u64Words(set.numbers) }));
  },
  fromWire(from, to) {
    if (from.sets) to.sets = from.sets.map((set) => ({ ...set, numbers: u64Column(set.numbers) }));
  },
  slots(wire, prefix) {
    return (wire.sets ?? []).flatMap((set) => {
      const at = `${prefix}sets.${set.family}.${set.table}.${set.name}`;
      return [slot(`${at}.keys`, set, "keys"), slot(`${at}.comments`, set, "comments")];
    });
  },
  renderer: (context) => new SetsRenderer(context),
  flags: [SETS_FLAG],
  sample: () => ({
    sets: [
      setColumns({
        family: "inet",
        table: "t",
        name: "s",
        size: 1,
        leftOut: 0,
        repeated: 0,
        elements: [{ key: "k", comment: "nft(KEY=a)", bytes: 1n, packets: 1n }],
      }),
    ],
  }),
  check(config) {
    return itemsCheck(this, config);
  },
  items({ sets }) {
    const items: CommentedItem[] = [];
    for (const set of sets ?? []) {
      set.keys.forEach((key, i) => {
        items.push(commentedElement(set.family, set.table, set.name, key, set.comments[i]));
      });
    }
    return items;
  },
  jsonItems(type, o, config) {
    const selected = matchesAny(patternsOf(config, SETS_FLAG), o.familyNumber, o.table, o.name);
    return (type === "set" || type === "map") && selected ? elementItems(o) : [];
  },
};

class SetsRenderer implements SliceRenderer {
  readonly #sets: KindLabels<SetColumns[]>;

  constructor(readonly context: RenderContext) {
    this.#sets = context.labels<SetColumns[]>(
      "set element",
      (a, b) => a.length === b.length && a.every((set, i) => sameSetIdentity(set, b[i] as SetColumns)),
    );
  }

  *families({ sets }: Sections): Generator<MetricFamily> {
    if (sets) yield* this.#setFamilies(sets);
  }

  rejected({ sets }: Sections): [string, number][] {
    return sets ? [["set_element", this.#sets.rejected.length]] : [];
  }

  findings() {
    return this.#sets.rejected.map((r) => {
      const l = (k: string) => r.labels[k] ?? "";
      return itemFinding(elementItem(l("family"), l("table"), l("set"), l("element")), r.comment, r.reason);
    });
  }

  /** Rendered once the dump is complete: rendering ahead of it was slower (docs/design-notes.md). */
  *#setFamilies(sets: SetColumns[]): Generator<MetricFamily> {
    const count = sets.reduce((n, set) => n + set.keys.length, 0);
    const labels = this.#sets.texts(sets, count, () => setGroups(sets));
    const numbers = sets.length === 1 ? (sets[0] as SetColumns).numbers : concat(sets.map((s) => s.numbers));
    const help = "counted by the set element, labelled by its key and nft(...) comment.";
    const family = (name: string, what: string, offset: number): MetricFamily => ({
      name: `${this.context.ns}_${name}`,
      help: `${what} ${help}`,
      type: "counter",
      samples: columns(labels, numbers, offset, 2),
    });
    yield family("set_element_bytes_total", "Bytes", 0);
    yield family("set_element_packets_total", "Packets", 1);
    const perSet = sets.map((s) => formatLabels(...unzip(setIdentity(s))));
    const perSetGauge = (name: string, help: string, value: (s: SetColumns) => number): MetricFamily => ({
      name: `${this.context.ns}_${name}`,
      help,
      type: "gauge",
      samples: columns(perSet, sets.map(value)),
    });
    yield perSetGauge("set_elements", "Elements in the set (intervals for an interval set).", (s) => s.size);
    const declared = sets.filter((s) => s.maxSize > 0);
    if (declared.length > 0) {
      yield {
        name: `${this.context.ns}_set_elements_max`,
        help: "The set's declared size: most elements it may hold (sets declared with a size only).",
        type: "gauge",
        samples: columns(
          declared.map((s) => formatLabels(...unzip(setIdentity(s)))),
          declared.map((s) => s.maxSize),
        ),
      };
    }
    yield perSetGauge(
      "set_elements_left_out",
      "Elements with counters not exported because the set has more than -sets.max-elements.",
      (s) => s.leftOut,
    );
    yield perSetGauge(
      "set_elements_repeated",
      "Elements the set's dump sent more than once, exported once: the set changed during the dump, which may also have missed some (see the README).",
      (s) => s.repeated,
    );
  }
}

function sameSetIdentity(a: SetColumns, b: SetColumns): boolean {
  return (
    a.family === b.family &&
    a.table === b.table &&
    a.name === b.name &&
    sameStrings(a.keys, b.keys) &&
    sameStrings(a.comments, b.comments)
  );
}

function concat(parts: readonly BigUint64Array[]): BigUint64Array {
  const out = new BigUint64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** setGroups: one group per set, its elements told apart by the element label; texts aligned across sets. */
function setGroups(sets: SetColumns[]): ItemGroup[] {
  let at = 0;
  return sets.map((set) => {
    const group = {
      id: `${set.family}\0${set.table}\0${set.name}`,
      base: setIdentity(set),
      itemLabel: "element",
      items: set.keys,
      comments: set.comments,
      from: 0,
      to: set.keys.length,
      at,
    };
    at += set.keys.length;
    return group;
  });
}

function setIdentity(s: { family: string; table: string; name: string }): [string, string][] {
  return [
    ["family", s.family],
    ["table", s.table],
    ["set", s.name],
  ];
}

function unzip(pairs: [string, string][]): [string[], string[]] {
  return [pairs.map(([k]) => k), pairs.map(([, v]) => v)];
}

export const elementItem = (family: string, table: string, set: string, key: string) =>
  `element ${key} of set ${family}/${table}/${set}`;

export function commentedElement(
  family: string,
  table: string,
  set: string,
  key: string,
  comment: string | undefined,
): CommentedItem {
  const identity: [string, string][] = [
    ["family", family],
    ["table", table],
    ["set", set],
    ["element", key],
  ];
  return { kind: "set_element", identity, item: elementItem(family, table, set, key), comment };
}

/**
 * elementItems: a set's or map's elements with a counter (those the exporter exports). A map lists
 * [element, data]; an element with a counter is {elem: {val, counter, comment?}}, one without its bare value.
 */
function elementItems(set: NftJsonObject): CommentedItem[] {
  const items: CommentedItem[] = [];
  for (const listed of Array.isArray(set.elem) ? set.elem : []) {
    const el = (Array.isArray(listed) ? listed[0] : listed) as { elem?: Record<string, unknown> };
    if (!el?.elem?.counter) continue;
    const comment = typeof el.elem.comment === "string" ? el.elem.comment : undefined;
    items.push(commentedElement(set.family, set.table, set.name, jsonKeyText(el.elem.val), comment));
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
