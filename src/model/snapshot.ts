import type { ErrorCode, ErrorInfo } from "../errors.js";
import type { RuleColumns } from "./rule-columns.js";

export type { Location, NamedCounter, RuleCounters, SetCounters, SetElementCounters } from "./records.js";

/** Why a read was thrown away and started again: the dump showed a tear, or the generation moved. */
export const RETRY_REASONS = ["dump_interrupted", "ruleset_changed"] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];
/** Why a scrape got the last complete snapshot instead of a fresh one. */
export const STALE_REASONS = ["ruleset_changing", "timeout"] as const;
export type StaleReason = (typeof STALE_REASONS)[number];

/**
 * SnapshotSections: what the sources fill in (src/sources/, one slice each). model/ names only the rules,
 * part of every read; each optional source adds its section from its own folder (`declare module`, e.g.
 * sources/tables/slice.ts), absent when the source is not enabled.
 */
export interface SnapshotSections {
  rules: RuleColumns;
}

/** Snapshot is one consistent read of a chain: every rule from a single uninterrupted dump. */
export interface Snapshot extends SnapshotSections {
  family: string;
  table: string;
  chain: string;
  /** Wall-clock time (ms since the epoch) when the dump completed. */
  readAtMs: number;
  readDurationMs: number;
  /** Attempts at this read: 1, plus one per retry of a read that could not be proven whole. */
  attempts: number;
  /** The ruleset generation the read was proven to see (nftables/generation.ts); absent without the proof. */
  generation?: number;
  /** When this reader first saw `generation` (ms since the epoch): the ruleset's last change it knows of. */
  generationSinceMs?: number;
  /** Names of the rule-derived labels in each rule's `derived` (-rule-labels); absent when off. */
  derivedLabels?: string[];
  /**
   * How old this snapshot is when served: 0 when read for this scrape, more when no whole read fitted the
   * deadline and the last complete snapshot is served instead (`stale` says why).
   */
  ageMs?: number;
  stale?: StaleReason;
  /** Per-source outcome, present when any optional source is enabled. */
  sources?: SourceStatus[];
}

/** NetnsRead is one network namespace's part of a read with -netns: its snapshot, or why it failed. */
export type NetnsRead = { netns: string; snapshot: Snapshot } | { netns: string; error: ErrorInfo };

/** SourceStatus is how one source fared in this read (node_exporter's per-collector success/duration). */
export interface SourceStatus {
  name: string;
  ok: boolean;
  durationMs: number;
}

/** ReaderStats are the reader's cumulative counters, reported with every reply. */
export interface ReaderStats {
  readErrors: Partial<Record<ErrorCode, number>>;
  /** Reads thrown away and started again, by reason (reader/collector.ts RETRY_REASONS). */
  retries: Record<RetryReason, number>;
  /** Scrapes answered with the last complete snapshot, by reason (STALE_REASONS). */
  staleServed: Record<StaleReason, number>;
  /** Resident memory and CPU time of the privileged reader process. */
  residentBytes: number;
  cpuSeconds: number;
}
