import type { Config } from "../../config/config.js";
import { FAMILIES } from "../../nftables/constants.js";
import type { RulesReader } from "../source.js";
import { ChainReader, type ChainReaderOptions } from "./chain.js";
import { ChainsReader } from "./chains.js";

export type { ChainReaderOptions } from "./chain.js";

/**
 * rulesFor turns the rule selection into the rules' reader: the one chain -table/-chain name, or every
 * chain -chains selects. Unlike the optional sources (readers.ts) it is never off: every read has rules.
 */
export function rulesFor(config: Config, options: ChainReaderOptions): RulesReader {
  return config.chainPatterns.length > 0
    ? new ChainsReader(config.chainPatterns, options)
    : new ChainReader({ family: FAMILIES[config.family], table: config.table, chain: config.chain }, options);
}
