import type { Config } from "../config/config.js";
import { toErrorInfo } from "../errors.js";
import type { ReadReply } from "../ipc/protocol.js";
import { Logger } from "../log.js";
import type { NetnsRead, ReaderStats, Snapshot } from "../model/snapshot.js";
import type { NetnsRef } from "../netlink/netns.js";
import { CAP_NET_ADMIN, CAP_SYS_ADMIN, hasCapability, procStatus } from "../privileges/caps.js";
import type { Collector, ReadStats } from "./collector.js";
import { NetnsReader } from "./namespaces.js";
import { collectorFor } from "./sources.js";

/** Bound on one blocking recv; a whole read is bounded by -read-timeout. */
const RECV_TIMEOUT_MS = 2_000;
/**
 * Attempts per read while the ruleset keeps changing, within the scrape's deadline. Each attempt begins by
 * waiting for the transaction in progress, so attempts follow reloads rather than spin.
 */
const MAX_READ_ATTEMPTS = 10;

/** FatalError ends the reader with exit code 1 and its message as the one-line reason. */
export class FatalError extends Error {}

/**
 * requireNetAdmin throws FatalError unless this process can read nftables (root or CAP_NET_ADMIN) and,
 * with -netns, enter other network namespaces (CAP_SYS_ADMIN, see docs/namespaces.md).
 */
export function requireNetAdmin(config: Pick<Config, "netns">): void {
  const caps = procStatus().capEff;
  if (!hasCapability(caps, CAP_NET_ADMIN)) {
    throw new FatalError("needs root or CAP_NET_ADMIN to read nftables (it has neither)");
  }
  if (config.netns.length > 0 && !hasCapability(caps, CAP_SYS_ADMIN)) {
    throw new FatalError(
      "-netns needs CAP_SYS_ADMIN to enter network namespaces (setns); see docs/namespaces.md",
    );
  }
}

/** Reader reads what the flags select: a Collector, or with -netns a NetnsReader of one per namespace. */
export interface Reader {
  read(deadlineAt: number): Promise<Snapshot | NetnsRead[]>;
  close(): void;
  readonly stats: ReadStats;
}

/**
 * createChainReader: the one reader of what the flags select (the chain or chains, and the optional
 * sources, see sources/index.ts), in nfprom's network namespace or in each -netns one; shared by serve,
 * dump and textfile.
 */
export function createChainReader(config: Config): Reader {
  const log = new Logger(config.logLevel, "reader", config.logFormat);
  if (config.netns.length === 0) return createCollector(config, log);
  return new NetnsReader(config.netns, (netns) => createCollector(config, log, netns), log);
}

/** createCollector: the reader of one network namespace (nfprom's own unless `netns` names another). */
export function createCollector(
  config: Config,
  log = new Logger(config.logLevel, "reader", config.logFormat),
  netns?: NetnsRef,
): Collector {
  const options = {
    maxAttempts: MAX_READ_ATTEMPTS,
    maxReadMs: config.readTimeoutMs,
    recvTimeoutMs: RECV_TIMEOUT_MS,
    ruleLabels: config.ruleLabels,
    ...(netns !== undefined && { netns }),
  };
  return collectorFor(config, options, log);
}

/** readReply reads once and answers read `id`: a snapshot, one outcome per namespace, or the error. */
export async function readReply(reader: Reader, id: number, deadlineAt: number): Promise<ReadReply> {
  try {
    const read = await reader.read(deadlineAt);
    const stats = readerStats(reader);
    return Array.isArray(read)
      ? { type: "namespaces", id, namespaces: read, stats }
      : { type: "snapshot", id, snapshot: read, stats };
  } catch (err) {
    return { type: "error", id, error: toErrorInfo(err), stats: readerStats(reader) };
  }
}

/** readerStats: the reader's cumulative counters and its own memory and CPU, sent with every reply. */
export function readerStats(reader: Pick<Reader, "stats">): ReaderStats {
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
