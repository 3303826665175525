import type { Config } from "../config/config.js";
import { objectsFor } from "./objects/source.js";
import { setsFor } from "./sets/source.js";
import type { Source } from "./source.js";
import { tablesFor } from "./tables/source.js";

/**
 * READERS: the reader's half of every optional source, one line each, in the order their families are
 * rendered (SLICES in slices.ts is the half both processes share; the privilege boundary keeps them apart:
 * the web process must not load what opens dumps). Each turns the flags into its Source, or none when
 * its selection flags are absent.
 */
const READERS: readonly ((config: Config) => Source | undefined)[] = [objectsFor, setsFor, tablesFor];

/** sourcesFor: the optional sources the command line turns on. */
export function sourcesFor(config: Config): Source[] {
  return READERS.flatMap((sourceFor) => sourceFor(config) ?? []);
}
