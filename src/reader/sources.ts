import type { Config } from "../config/config.js";
import { toErrorInfo } from "../errors.js";
import type { Logger } from "../log.js";
import { WholeReadProof } from "../nftables/generation.js";
import { sourcesFor } from "../sources/readers.js";
import { type ChainReaderOptions, rulesFor } from "../sources/rules/source.js";
import { SourceRunner } from "../sources/runner.js";
import { Collector, type CollectorOptions } from "./collector.js";

/**
 * collectorFor builds the reader's collector from the command line: the rules (sources/rules/) plus the
 * optional sources that a selection flag turns on (READERS, sources/readers.ts), each on a runner.
 */
export function collectorFor(
  config: Config,
  options: ChainReaderOptions & CollectorOptions,
  log: Logger,
): Collector {
  return new Collector(
    rulesFor(config, options),
    sourcesFor(config).map((source) => new SourceRunner(source, options)),
    config.skipProof ? undefined : new WholeReadProof(options),
    { ...options, ...(config.backgroundReadTimeoutMs && { backgroundMs: config.backgroundReadTimeoutMs }) },
    (name, err) =>
      log.warnRepeated(`source failed: ${name}`, "source failed", {
        source: name,
        err: toErrorInfo(err).message,
      }),
  );
}
