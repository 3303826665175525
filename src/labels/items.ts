import type { Snapshot } from "../model/snapshot.js";

/** ItemKind: the kinds of commented items, as nfprom_comments_rejected{kind} names them. */
export type ItemKind = "counter" | "quota" | "set_element";

export const ITEM_KINDS: readonly ItemKind[] = ["counter", "quota", "set_element"];

/** CommentedItem: a named counter, quota or set element, named for a person, and its comment. */
export interface CommentedItem {
  kind: ItemKind;
  /** The item's identity labels as the exporter exports them, its own label (name, element) last. */
  identity: [string, string][];
  item: string;
  comment: string | undefined;
}

/** itemsFromSnapshot: the named counters, quotas and set elements of a kernel read (-counters, -quotas, -sets). */
export function itemsFromSnapshot(snapshot: Pick<Snapshot, "counters" | "quotas" | "sets">): CommentedItem[] {
  const items: CommentedItem[] = [];
  const counters = snapshot.counters;
  counters?.names.forEach((name, i) => {
    const t = counters.tables[counters.tableOf[i] as number];
    items.push(commentedCounter(t?.family ?? "", t?.table ?? "", name, counters.comments[i]));
  });
  for (const q of snapshot.quotas ?? []) {
    items.push(commentedQuota(q.family, q.table, q.name, q.inverted, q.comment));
  }
  for (const set of snapshot.sets ?? []) {
    set.keys.forEach((key, i) => {
      items.push(commentedElement(set.family, set.table, set.name, key, set.comments[i]));
    });
  }
  return items;
}

export const counterItem = (family: string, table: string, name: string) =>
  `counter ${family}/${table}/${name}`;
export const quotaItem = (family: string, table: string, name: string) => `quota ${family}/${table}/${name}`;
export const elementItem = (family: string, table: string, set: string, key: string) =>
  `element ${key} of set ${family}/${table}/${set}`;

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
