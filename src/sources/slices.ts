import { type ObjectsWire, objectsSlice } from "./objects/slice.js";
import { type RulesWire, rulesSlice } from "./rules/slice.js";
import { type SetsWire, setsSlice } from "./sets/slice.js";
import type { SelectionFlag, SourceSlice } from "./slice.js";
import { type TablesWire, tablesSlice } from "./tables/slice.js";

/** WireSections: every slice's sections as they cross the boundary (one term per slice). */
export type WireSections = RulesWire & ObjectsWire & SetsWire & TablesWire;

/**
 * SLICES: the half of every source that both processes share, one line each, the rules first, in the order
 * their families are rendered (READERS in readers.ts is the optional sources' reader half, rulesFor in
 * rules/source.ts the rules').
 */
export const SLICES: readonly SourceSlice<WireSections>[] = [
  rulesSlice,
  objectsSlice,
  setsSlice,
  tablesSlice,
];

/** SELECTION_FLAGS: every optional source's selection flags, in the order of SLICES (cli/flags.ts lists them). */
export const SELECTION_FLAGS: readonly SelectionFlag[] = SLICES.flatMap((slice) => slice.flags);
