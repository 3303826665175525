import { columns, type MetricFamily } from "../../exposition/text.js";
import { itemFinding } from "../../labels/diagnose.js";
import type { ItemGroup, KindLabels } from "../../labels/item-texts.js";
import type { CommentedItem } from "../../labels/items.js";
import { matchesAny, type NamePattern, parsePattern } from "../../model/pattern.js";
import { type ItemSlice, itemsCheck } from "../check.js";
import {
  patternsOf,
  type RenderContext,
  type Sections,
  type SelectionFlag,
  type SliceRenderer,
} from "../slice.js";

/** Table is one nftables table: whether it is switched off, and how much it holds. */
export interface Table {
  family: string;
  table: string;
  comment: string | undefined;
  /** `flags dormant` (NFT_TABLE_F_DORMANT): its chains are not attached to any hook, its rules see no packet. */
  dormant: boolean;
  /** The kernel's use count (NFTA_TABLE_USE): its chains, named sets, stateful objects and flowtables. */
  use: number;
}

/**
 * The tables source's section of every snapshot, added to model/'s SnapshotSections from here (model/
 * sits below sources/ and names no source but the rules): absent when -tables is off.
 */
declare module "../../model/snapshot.js" {
  interface SnapshotSections {
    tables?: Table[];
  }
}

/** TablesWire: the selected tables as they cross the boundary (few, and no 64-bit column). */
export type TablesWire = { tables?: Table[] };

/** TABLES_FLAG (-tables) selects the tables whose state is exported. */
export const TABLES_FLAG: SelectionFlag = {
  name: "tables",
  arg: "[family/]table",
  help: "export the state of the tables matching this glob (e.g. * or inet/fw*): dormant, use count",
  parse: parseTablePattern,
};

/** tablesSlice: every selected table's state (-tables), read by tablesSource (source.ts). */
export const tablesSlice: ItemSlice<TablesWire> = {
  name: "tables",
  required: false,
  toWire(from, to) {
    if (from.tables) to.tables = from.tables;
  },
  fromWire(from, to) {
    if (from.tables) to.tables = from.tables;
  },
  slots: () => [],
  renderer: (context) => new TablesRenderer(context),
  flags: [TABLES_FLAG],
  sample: () => ({ tables: [{ family: "inet", table: "t", comment: "nft(KEY=a)", dormant: false, use: 0 }] }),
  check(config) {
    return itemsCheck(this, config);
  },
  items: ({ tables }) => (tables ?? []).map((t) => commentedTable(t.family, t.table, t.comment)),
  jsonItems(type, o, config) {
    // A table's nft -j object names the table `name`; its `table` is the string "undefined".
    if (type !== "table" || !matchesAny(patternsOf(config, TABLES_FLAG), o.familyNumber, o.name, ""))
      return [];
    return [commentedTable(o.family, o.name, typeof o.comment === "string" ? o.comment : undefined)];
  },
};

/** parseTablePattern reads `[family/]table` (a glob, as -counters' table part) into a NamePattern. */
export function parseTablePattern(text: string): NamePattern {
  const parts = text.split("/");
  if (parts.length > 2 || parts.some((part) => part === "")) throw new Error("expected [family/]table");
  return { ...parsePattern(`${parts.length === 2 ? text : `*/${text}`}/*`), text };
}

/** GAUGES: the families of the tables source, one sample per table. */
const GAUGES: [name: string, help: string, value: (t: Table) => number][] = [
  [
    "table_dormant",
    "1 when the table is dormant (flags dormant): none of its chains sees a packet; 0 otherwise.",
    (t) => (t.dormant ? 1 : 0),
  ],
  [
    "table_use",
    "What the table holds, by the kernel's use count: its chains, named sets, stateful objects and flowtables.",
    (t) => t.use,
  ],
];

class TablesRenderer implements SliceRenderer {
  readonly #tables: KindLabels<Table[]>;

  constructor(readonly context: RenderContext) {
    this.#tables = context.labels<Table[]>("table", () => false);
  }

  *families({ tables }: Sections): Generator<MetricFamily> {
    if (!tables) return;
    const labels = this.#tables.texts(tables, tables.length, () => tableGroups(tables));
    for (const [name, help, value] of GAUGES) {
      const samples = columns(labels, tables.map(value));
      yield { name: `${this.context.ns}_${name}`, help, type: "gauge", samples };
    }
  }

  rejected({ tables }: Sections): [string, number][] {
    return tables ? [["table", this.#tables.rejected.length]] : [];
  }

  findings() {
    return this.#tables.rejected.map((r) =>
      itemFinding(tableItem(r.labels.family ?? "", r.labels.table ?? ""), r.comment, r.reason),
    );
  }
}

/** tableGroups: one group per table (tables are few), its family the group's label. */
function tableGroups(tables: Table[]): ItemGroup[] {
  const names = tables.map((t) => t.table);
  const comments = tables.map((t) => t.comment);
  return tables.map((t, i) => ({
    id: `${t.family}\0${t.table}`,
    base: [["family", t.family]],
    itemLabel: "table",
    items: names,
    comments,
    from: i,
    to: i + 1,
    at: i,
  }));
}

const tableItem = (family: string, table: string) => `table ${family}/${table}`;

function commentedTable(family: string, table: string, comment: string | undefined): CommentedItem {
  const identity: [string, string][] = [
    ["family", family],
    ["table", table],
  ];
  return { kind: "table", identity, item: tableItem(family, table), comment };
}
