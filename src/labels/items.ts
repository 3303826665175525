import type { Snapshot } from "../model/snapshot.js";

/** ItemKind: a kind of commented item, as nfprom_comments_rejected{kind} names it (counter, set_element…). */
export type ItemKind = string;

/** CommentedItem: an item of an optional source (a named counter, a set element…) named for a person, and its comment. */
export interface CommentedItem {
  kind: ItemKind;
  /** The item's identity labels as the exporter exports them, its own label (name, element) last. */
  identity: [string, string][];
  item: string;
  comment: string | undefined;
}

/** itemsFromSnapshot: the set elements of a kernel read (-sets). */
export function itemsFromSnapshot(snapshot: Pick<Snapshot, "sets">): CommentedItem[] {
  const items: CommentedItem[] = [];
  for (const set of snapshot.sets ?? []) {
    set.keys.forEach((key, i) => {
      items.push(commentedElement(set.family, set.table, set.name, key, set.comments[i]));
    });
  }
  return items;
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
