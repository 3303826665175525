import type { Config } from "../../config/config.js";
import { toErrorInfo } from "../../errors.js";
import type { Logger } from "../../log.js";
import { FAMILIES } from "../../nftables/constants.js";
import { WholeReadProof } from "../../nftables/generation.js";
import { sourcesFor } from "../../sources/readers.js";
import type { Source } from "../../sources/source.js";
import { ChainReader, type ChainReaderOptions } from "../chain-reader.js";
import { Collector, type CollectorOptions, type RulesReader } from "../collector.js";
import { SourceRunner } from "../runner.js";
import { ChainsReader } from "./chains.js";

/**
 * collectorFor builds the reader's collector from the command line: the rules (-table/-chain, or every
 * chain -chains selects) plus the optional sources that a selection flag turns on. This list is the one
 * place that knows every source, like node_exporter's collector registry.
 */
export function collectorFor(
  config: Config,
  options: ChainReaderOptions & CollectorOptions,
  log: Logger,
): Collector {
  const rules: RulesReader =
    config.chainPatterns.length > 0
      ? new ChainsReader(config.chainPatterns, options)
      : new ChainReader(
          { family: FAMILIES[config.family], table: config.table, chain: config.chain },
          options,
        );
  const sources: Source[] = sourcesFor(config);
  return new Collector(
    rules,
    sources.map((source) => new SourceRunner(source, options)),
    config.skipProof ? undefined : new WholeReadProof(options),
    { ...options, ...(config.backgroundReadTimeoutMs && { backgroundMs: config.backgroundReadTimeoutMs }) },
    (name, err) =>
      log.warnRepeated(`source failed: ${name}`, "source failed", {
        source: name,
        err: toErrorInfo(err).message,
      }),
  );
}
