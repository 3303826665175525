import type { Config } from "../../cli/flags.js";
import { toErrorInfo } from "../../errors.js";
import type { Logger } from "../../log.js";
import { FAMILIES } from "../../nftables/constants.js";
import { ChainReader, type ChainReaderOptions } from "../chain-reader.js";
import { Collector, type RulesReader } from "../collector.js";
import { StaleServingReader } from "../stale.js";
import { ChainsReader } from "./chains.js";
import { objectsSource } from "./objects.js";
import { setsSource } from "./sets.js";
import { type Source, SourceRunner } from "./source.js";

/**
 * collectorFor builds the reader's collector from the command line: the rules (-table/-chain, or every
 * chain -chains selects) plus the optional sources that a selection flag turns on. This list is the one
 * place that knows every source, like node_exporter's collector registry.
 */
export function collectorFor(config: Config, options: ChainReaderOptions, log: Logger): Collector {
  const background = config.backgroundReadTimeoutMs;
  const rulesOptions = background
    ? { ...options, maxReadMs: Math.max(background, options.maxReadMs) }
    : options;
  const chains: RulesReader =
    config.chainPatterns.length > 0
      ? new ChainsReader(config.chainPatterns, rulesOptions)
      : new ChainReader(
          { family: FAMILIES[config.family], table: config.table, chain: config.chain },
          rulesOptions,
        );
  const rules = background ? new StaleServingReader(chains, rulesOptions.maxReadMs) : chains;
  const sources: Source[] = [];
  if (config.counterPatterns.length > 0 || config.quotaPatterns.length > 0) {
    sources.push(objectsSource(config.counterPatterns, config.quotaPatterns));
  }
  if (config.setPatterns.length > 0)
    sources.push(setsSource(config.setPatterns, config.setMaxElements, options.maxAttempts));
  return new Collector(
    rules,
    sources.map((source) => new SourceRunner(source, options)),
    (name, err) =>
      log.warnRepeated(`source failed: ${name}`, "source failed", {
        source: name,
        err: toErrorInfo(err).message,
      }),
  );
}
