import type { Snapshot } from "../model/snapshot.js";

/** CommentedItem: a named counter, quota or set element, named for a person, and its comment. */
export interface CommentedItem {
  item: string;
  comment: string | undefined;
}

/** itemsFromSnapshot: the named counters, quotas and set elements of a kernel read (-counters, -quotas, -sets). */
export function itemsFromSnapshot(snapshot: Pick<Snapshot, "counters" | "quotas" | "sets">): CommentedItem[] {
  const items: CommentedItem[] = [];
  const counters = snapshot.counters;
  counters?.names.forEach((name, i) => {
    const t = counters.tables[counters.tableOf[i] as number];
    items.push({ item: counterItem(t?.family ?? "", t?.table ?? "", name), comment: counters.comments[i] });
  });
  for (const q of snapshot.quotas ?? []) {
    items.push({ item: quotaItem(q.family, q.table, q.name), comment: q.comment });
  }
  for (const set of snapshot.sets ?? []) {
    set.keys.forEach((key, i) => {
      items.push({ item: elementItem(set.family, set.table, set.name, key), comment: set.comments[i] });
    });
  }
  return items;
}

export const counterItem = (family: string, table: string, name: string) =>
  `counter ${family}/${table}/${name}`;
export const quotaItem = (family: string, table: string, name: string) => `quota ${family}/${table}/${name}`;
export const elementItem = (family: string, table: string, set: string, key: string) =>
  `element ${key} of set ${family}/${table}/${set}`;
