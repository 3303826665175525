import type { Config } from "../config/config.js";
import { itemFindings } from "../labels/diagnose.js";
import type { CommentedItem } from "../labels/items.js";
import { isSelected, type NftJsonObject, type Sections, type SliceCheck, type SourceSlice } from "./slice.js";

/** CommentedItems: how an optional source finds its commented items, in a kernel read and in `nft -j` output. */
export interface CommentedItems {
  /** items: its commented items in a kernel read's sections. */
  items(sections: Sections): CommentedItem[];
  /** jsonItems: the same, from one object of `nft -j` output that the configuration's patterns select. */
  jsonItems(type: string, obj: NftJsonObject, config: Config): CommentedItem[];
}

/** ItemSlice: an optional source's slice, whose `nfprom check` judges its commented items. */
export type ItemSlice<Wire> = SourceSlice<Wire> & CommentedItems;

/**
 * itemsCheck: `nfprom check` of an optional source: its items' comments judged by the exporter's own label
 * texts, and counted, when the configuration turns it on.
 */
export function itemsCheck(of: ItemSlice<unknown>, config: Config): SliceCheck {
  const items: CommentedItem[] = [];
  const take = (found: readonly CommentedItem[]) => {
    for (const item of found) items.push(item);
  };
  return {
    read: (snapshot) => take(of.items(snapshot)),
    json: (type, obj) => take(of.jsonItems(type, obj, config)),
    items,
    judge(result) {
      if (!isSelected(of, config)) return;
      result.findings.push(...itemFindings(items, config.maxLabelNames));
      result.items = (result.items ?? 0) + items.length;
    },
  };
}
