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
