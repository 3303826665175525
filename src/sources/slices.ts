import type { CommentedItem } from "../labels/items.js";
import { type ObjectsWire, objectsSlice } from "./objects/slice.js";
import { type SetsWire, setsSlice } from "./sets/slice.js";
import type { Sections, SourceSlice } from "./slice.js";
import { type TablesWire, tablesSlice } from "./tables/slice.js";

/** WireSections: every optional source's sections as they cross the boundary (one term per source). */
export type WireSections = ObjectsWire & SetsWire & TablesWire;

/**
 * SLICES: the half of every optional source that both processes share, one line each, in the order their
 * families are rendered (READERS in readers.ts is the reader's half).
 */
export const SLICES: readonly SourceSlice<WireSections>[] = [objectsSlice, setsSlice, tablesSlice];

/** itemsOf: the commented items of a kernel read's sections (named counters, quotas, set elements, tables). */
export function itemsOf(sections: Sections): CommentedItem[] {
  return SLICES.flatMap((slice) => slice.items(sections));
}
