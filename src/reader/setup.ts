import type { Config } from "../config/config.js";
import type { PolicyOptions } from "../labels/policy.js";
import { Logger } from "../log.js";
import type { ReaderStats } from "../model/snapshot.js";
import { CAP_NET_ADMIN, hasCapability, procStatus } from "../privileges/caps.js";
import type { Collector } from "./collector.js";
import { collectorFor } from "./sources/index.js";

/** Bound on one blocking recv; a whole read is bounded by -read-timeout. */
const RECV_TIMEOUT_MS = 2_000;
/**
 * Attempts per read while the ruleset keeps changing, within the scrape's deadline. Each attempt begins by
 * waiting for the transaction in progress, so attempts follow reloads rather than spin.
 */
const MAX_READ_ATTEMPTS = 10;

/** FatalError ends the reader with exit code 1 and its message as the one-line reason. */
export class FatalError extends Error {}

/** requireNetAdmin throws FatalError unless this process can read nftables (root or CAP_NET_ADMIN). */
export function requireNetAdmin(): void {
  if (!hasCapability(procStatus().capEff, CAP_NET_ADMIN)) {
    throw new FatalError("needs root or CAP_NET_ADMIN to read nftables (it has neither)");
  }
}

/**
 * createChainReader: the one reader of what the flags select (the chain or chains, and the optional
 * sources, see sources/index.ts), shared by serve, dump and textfile.
 */
export function createChainReader(config: Config): Collector {
  return collectorFor(
    config,
    {
      maxAttempts: MAX_READ_ATTEMPTS,
      maxReadMs: config.readTimeoutMs,
      recvTimeoutMs: RECV_TIMEOUT_MS,
      ruleLabels: config.ruleLabels,
    },
    new Logger(config.logLevel, "reader", config.logFormat),
  );
}

/** policyOptions: the label choices of the command line, for every Scraper (serve, dump, textfile). */
export function policyOptions(config: Config): PolicyOptions {
  return {
    allRules: config.allRules,
    duplicates: config.duplicates,
    maxLabelNames: config.maxLabelNames,
    maxLabelValueLength: config.maxLabelValueLength,
  };
}

/** readerStats: the reader's cumulative counters and its own memory and CPU, sent with every reply. */
export function readerStats(reader: Pick<Collector, "stats">): ReaderStats {
  const cpu = process.cpuUsage();
  const { readErrors, retries, staleServed } = reader.stats;
  return {
    readErrors: { ...readErrors },
    retries: { ...retries },
    staleServed: { ...staleServed },
    residentBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
