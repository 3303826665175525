import { columns, type MetricFamily } from "../../exposition/text.js";
import { itemFinding } from "../../labels/diagnose.js";
import type { ItemGroup, ItemRejection, KindLabels } from "../../labels/item-texts.js";
import type { CommentedItem } from "../../labels/items.js";
import { sameBytes, sameStrings, u64Column, u64Words } from "../../model/columns.js";
import { matchesAny, type NamePattern, parsePattern } from "../../model/pattern.js";
import { type CounterColumns, counterColumns } from "../../model/source-columns.js";
import { type ItemSlice, itemsCheck } from "../check.js";
import type { RenderContext, Sections, SelectionFlag, SliceRenderer, Words } from "../slice.js";
import { patternsOf, slot } from "../slice.js";

/** Quota is a quota object: its limit in bytes, what it has used, and how it matches. */
export interface Quota {
  family: string;
  table: string;
  name: string;
  comment: string | undefined;
  limitBytes: bigint;
  usedBytes: bigint;
  /** `quota over N`: the rule matches once the quota is exceeded (NFT_QUOTA_F_INV). */
  inverted: boolean;
  /** The kernel flags the quota as used up (NFT_QUOTA_F_DEPLETED). */
  depleted: boolean;
}

/**
 * The objects source's sections of every snapshot, added to model/'s SnapshotSections from here: absent
 * when -counters (-quotas) is off. Named counters are columns (model/source-columns.ts keeps the layout).
 */
declare module "../../model/snapshot.js" {
  interface SnapshotSections {
    counters?: CounterColumns;
    quotas?: Quota[];
  }
}

/** ObjectsWire: named counters and quotas as they cross the boundary. */
export type ObjectsWire = { counters?: Words<CounterColumns>; quotas?: Quota[] };

/** COUNTERS_FLAG (-counters) selects the named counters. */
export const COUNTERS_FLAG: SelectionFlag = {
  name: "counters",
  arg: "[family/]table/name",
  help: "export the named counters matching this glob (e.g. firewall/*)",
  parse: parsePattern,
};

/** QUOTAS_FLAG (-quotas) selects the quotas. */
export const QUOTAS_FLAG: SelectionFlag = {
  name: "quotas",
  arg: "[family/]table/name",
  help: "export the quotas matching this glob",
  parse: parsePattern,
};

/** objectsSlice: named counters (-counters) and quotas (-quotas), read by objectsSource (source.ts). */
export const objectsSlice: ItemSlice<ObjectsWire> = {
  name: "objects",
  required: false,
  toWire(from, to) {
    if (from.counters) to.counters = { ...from.counters, numbers: u64Words(from.counters.numbers) };
    if (from.quotas) to.quotas = from.quotas;
  },
  fromWire(from, to) {
    if (from.counters) to.counters = { ...from.counters, numbers: u64Column(from.counters.numbers) };
    if (from.quotas) to.quotas = from.quotas;
  },
  slots(wire, prefix) {
    const c = wire.counters;
    if (!c) return [];
    return [slot(`${prefix}counters.names`, c, "names"), slot(`${prefix}counters.comments`, c, "comments")];
  },
  renderer: (context) => new ObjectsRenderer(context),
  flags: [COUNTERS_FLAG, QUOTAS_FLAG],
  sample: () => ({
    counters: counterColumns([
      { family: "inet", table: "t", name: "n", comment: "nft(KEY=a)", bytes: 1n, packets: 1n },
    ]),
    quotas: [
      {
        family: "inet",
        table: "t",
        name: "q",
        comment: undefined,
        limitBytes: 1n,
        usedBytes: 0n,
        inverted: false,
        depleted: false,
      },
    ],
  }),
  check(config) {
    return itemsCheck(this, config);
  },
  items({ counters, quotas }) {
    const items: CommentedItem[] = [];
    counters?.names.forEach((name, i) => {
      const t = counters.tables[counters.tableOf[i] as number];
      items.push(commentedCounter(t?.family ?? "", t?.table ?? "", name, counters.comments[i]));
    });
    for (const q of quotas ?? [])
      items.push(commentedQuota(q.family, q.table, q.name, q.inverted, q.comment));
    return items;
  },
  jsonItems(type, o, config) {
    const comment = typeof o.comment === "string" ? o.comment : undefined;
    const selected = (patterns: readonly NamePattern[]) =>
      matchesAny(patterns, o.familyNumber, o.table, o.name);
    if (type === "counter" && selected(patternsOf(config, COUNTERS_FLAG)))
      return [commentedCounter(o.family, o.table, o.name, comment)];
    if (type === "quota" && selected(patternsOf(config, QUOTAS_FLAG)))
      return [commentedQuota(o.family, o.table, o.name, o.inv === true, comment)];
    return [];
  },
};

class ObjectsRenderer implements SliceRenderer {
  readonly #counters: KindLabels<CounterColumns>;
  readonly #quotas: KindLabels<Quota[]>;

  constructor(readonly context: RenderContext) {
    this.#counters = context.labels("named counter", sameCounterIdentity);
    this.#quotas = context.labels<Quota[]>("quota", () => false);
  }

  *families({ counters, quotas }: Sections): Generator<MetricFamily> {
    if (counters) yield* this.#counterFamilies(counters);
    if (quotas) yield* this.#quotaFamilies(quotas);
  }

  rejected({ counters, quotas }: Sections): [string, number][] {
    const counts: [string, number][] = [];
    if (counters) counts.push(["counter", this.#counters.rejected.length]);
    if (quotas) counts.push(["quota", this.#quotas.rejected.length]);
    return counts;
  }

  findings() {
    const finding = (r: ItemRejection, item: (l: (k: string) => string) => string) =>
      itemFinding(
        item((k) => r.labels[k] ?? ""),
        r.comment,
        r.reason,
      );
    return [
      ...this.#counters.rejected.map((r) =>
        finding(r, (l) => counterItem(l("family"), l("table"), l("name"))),
      ),
      ...this.#quotas.rejected.map((r) => finding(r, (l) => quotaItem(l("family"), l("table"), l("name")))),
    ];
  }

  *#counterFamilies(counters: CounterColumns): Generator<MetricFamily> {
    const labels = this.#counters.texts(counters, counters.names.length, () => counterGroups(counters));
    const help = "counted by the named counter object, labelled by its name and nft(...) comment.";
    const family = (name: string, what: string, offset: number): MetricFamily => ({
      name: `${this.context.ns}_${name}`,
      help: `${what} ${help}`,
      type: "counter",
      samples: columns(labels, counters.numbers, offset, 2),
    });
    yield family("object_bytes_total", "Bytes", 0);
    yield family("object_packets_total", "Packets", 1);
  }

  *#quotaFamilies(quotas: Quota[]): Generator<MetricFamily> {
    const labels = this.#quotas.texts(quotas, quotas.length, () => quotaGroups(quotas));
    const gauge = (name: string, help: string, values: (bigint | number)[]): MetricFamily => ({
      name: `${this.context.ns}_${name}`,
      help,
      type: "gauge",
      samples: columns(labels, values),
    });
    yield gauge(
      "quota_used_bytes",
      "Bytes the quota has used (nft reset quota sets it back to 0).",
      quotas.map((q) => q.usedBytes),
    );
    yield gauge(
      "quota_limit_bytes",
      "Bytes the quota allows; mode=over matches beyond it, until up to it.",
      quotas.map((q) => q.limitBytes),
    );
    yield gauge(
      "quota_exhausted",
      "1 when the kernel flags the quota as used up, 0 otherwise.",
      quotas.map((q) => (q.depleted ? 1 : 0)),
    );
  }
}

function sameCounterIdentity(a: CounterColumns, b: CounterColumns): boolean {
  return (
    a.tables.length === b.tables.length &&
    a.tables.every((t, i) => t.family === b.tables[i]?.family && t.table === b.tables[i]?.table) &&
    sameBytes(a.tableOf, b.tableOf) &&
    sameStrings(a.names, b.names) &&
    sameStrings(a.comments, b.comments)
  );
}

/** counterGroups: one group per run of counters of one table (CounterColumns lists a table per run). */
function counterGroups(counters: CounterColumns): ItemGroup[] {
  const groups: ItemGroup[] = [];
  for (let i = 0; i < counters.names.length; ) {
    const t = counters.tableOf[i] as number;
    let to = i + 1;
    while (to < counters.names.length && counters.tableOf[to] === t) to++;
    const { family, table } = counters.tables[t] as { family: string; table: string };
    const base: [string, string][] = [
      ["family", family],
      ["table", table],
    ];
    groups.push({
      id: `${family}\0${table}`,
      base,
      itemLabel: "name",
      items: counters.names,
      comments: counters.comments,
      from: i,
      to,
      at: i,
    });
    i = to;
  }
  return groups;
}

/** quotaGroups: one group per quota (quotas are few), its mode among the group's labels. */
function quotaGroups(quotas: Quota[]): ItemGroup[] {
  const names = quotas.map((q) => q.name);
  const comments = quotas.map((q) => q.comment);
  return quotas.map((q, i) => ({
    id: `${q.family}\0${q.table}\0${q.inverted ? "over" : "until"}`,
    base: [
      ["family", q.family],
      ["table", q.table],
      ["mode", q.inverted ? "over" : "until"],
    ],
    itemLabel: "name",
    items: names,
    comments,
    from: i,
    to: i + 1,
    at: i,
  }));
}

export const counterItem = (family: string, table: string, name: string) =>
  `counter ${family}/${table}/${name}`;
export const quotaItem = (family: string, table: string, name: string) => `quota ${family}/${table}/${name}`;

export function commentedCounter(
  family: string,
  table: string,
  name: string,
  comment: string | undefined,
): CommentedItem {
  const identity: [string, string][] = [
    ["family", family],
    ["table", table],
    ["name", name],
  ];
  return { kind: "counter", identity, item: counterItem(family, table, name), comment };
}

export function commentedQuota(
  family: string,
  table: string,
  name: string,
  inverted: boolean,
  comment: string | undefined,
): CommentedItem {
  const identity: [string, string][] = [
    ["family", family],
    ["table", table],
    ["mode", inverted ? "over" : "until"],
    ["name", name],
  ];
  return { kind: "quota", identity, item: quotaItem(family, table, name), comment };
}
