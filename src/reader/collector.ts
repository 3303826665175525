import { beforeDeadline } from "../deadline.js";
import { type ErrorCode, ErrorCodes, NfpromError } from "../errors.js";
import type { RetryReason, Snapshot, SourceStatus, StaleReason } from "../model/snapshot.js";
import type { SourceRunner } from "../sources/runner.js";
import type { Sections } from "../sources/slice.js";
import type { RulesReader } from "../sources/source.js";

/** ReadStats are the collector's cumulative counters; every known reason is present from the start. */
export interface ReadStats {
  readErrors: Partial<Record<ErrorCode, number>>;
  retries: Record<RetryReason, number>;
  staleServed: Record<StaleReason, number>;
}

export function emptyReadStats(): ReadStats {
  return {
    readErrors: {},
    retries: { dump_interrupted: 0, ruleset_changed: 0 },
    staleServed: { ruleset_changing: 0, timeout: 0 },
  };
}

/**
 * WholeReadProver brackets one attempt (nftables/generation.ts: WholeReadProof): `begin` before the
 * first dump, `end` after the last, which throws NFPROM_RULESET_CHANGED when a transaction overlapped.
 */
export interface WholeReadProver {
  begin(): Promise<number>;
  end(before: number): Promise<number>;
  close(): void;
}

export interface CollectorOptions {
  /** Attempts per read before an unprovable read is given up (then the last complete snapshot serves). */
  maxAttempts: number;
  /** Hard bound of one read, all attempts, whatever the scrapes' deadlines: -read-timeout. */
  maxReadMs: number;
  /** -read.background-timeout: a read may run on past the scrape deadline for this long. */
  backgroundMs?: number;
}

/**
 * Collector reads the rules and every enabled optional source concurrently, each on its own socket, as
 * one read proven whole (no ruleset transaction overlapped any of its dumps), so that a snapshot always
 * holds one committed ruleset, never a partial or mixed one. A read that cannot be proven whole is
 * retried; when no proven read fits a scrape's deadline, the scrape gets the last complete snapshot,
 * aged (`ageMs`, `stale`), and only without one does it fail (nfprom_up 0). Concurrent scrapes share the
 * read in flight. The rules decide success: an optional source that fails or misses the deadline only
 * loses its section and says so in `sources`; one whose dump was torn fails the attempt like the rules.
 */
export class Collector {
  readonly stats: ReadStats = emptyReadStats();
  #inflight: Promise<Snapshot> | undefined;
  #last: Snapshot | undefined;
  /** The read in flight has seen the ruleset change. */
  #changing = false;
  /** The read in flight waits for a transaction to end (the proof's barrier). */
  #atBarrier = false;
  /** Scrapes waiting for the read in flight, told when it has been thrown away STALE_AFTER_RETRIES times. */
  readonly #churnWaiters = new Set<() => void>();
  /** The latest deadline of the scrapes waiting for the read in flight: its retries may run until then. */
  #deadlineAt = 0;
  /** The generation of the last proven read, and when a proven read first saw it. */
  #generationSeen: { generation: number; sinceMs: number } | undefined;

  constructor(
    readonly rules: RulesReader,
    readonly sources: readonly SourceRunner[],
    readonly prover: WholeReadProver | undefined,
    readonly options: CollectorOptions,
    readonly onSourceError: (name: string, err: unknown) => void,
  ) {}

  /** read resolves with a snapshot (fresh, or the last complete one, aged) or rejects by `deadlineAt`. */
  read(deadlineAt: number): Promise<Snapshot> {
    this.#deadlineAt = this.#inflight ? Math.max(this.#deadlineAt, deadlineAt) : deadlineAt;
    if (!this.#inflight) {
      this.#changing = false;
      this.#inflight = this.#readProven().finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#wait(this.#inflight, deadlineAt);
  }

  /** #wait is one scrape's wait for the read in flight: until it settles, the deadline, or the churn. */
  async #wait(inflight: Promise<Snapshot>, deadlineAt: number): Promise<Snapshot> {
    // While the ruleset keeps changing, a scrape need not wait for its deadline if a complete snapshot
    // can stand in; the read goes on, and the next scrape gets it if it succeeds.
    let onChurn = () => {};
    const churned = new Promise<never>((_, reject) => {
      onChurn = () => {
        if (this.#last) reject(unproven());
      };
    });
    this.#churnWaiters.add(onChurn);
    try {
      return { ...(await beforeDeadline(Promise.race([inflight, churned]), deadlineAt)), ageMs: 0 };
    } catch (err) {
      return this.#lastInstead(err);
    } finally {
      this.#churnWaiters.delete(onChurn);
    }
  }

  close(): void {
    this.rules.close();
    for (const runner of this.sources) runner.close();
    this.prover?.close();
  }

  /** #lastInstead answers a scrape whose fresh read failed: with the last complete snapshot when allowed. */
  #lastInstead(err: unknown): Snapshot {
    const reason = this.#staleReason(err);
    const last = this.#last;
    if (!reason || !last) throw err;
    this.stats.staleServed[reason]++;
    return { ...last, ageMs: Math.max(1, Date.now() - last.readAtMs), stale: reason };
  }

  /**
   * #staleReason: the last snapshot stands in while the ruleset keeps changing, and on a plain timeout
   * only with -read.background-timeout; a missing table, EPERM or a decode error are real failures.
   */
  #staleReason(err: unknown): StaleReason | undefined {
    const code = err instanceof NfpromError ? err.code : undefined;
    if (code === ErrorCodes.RULESET_CHANGED || code === ErrorCodes.DUMP_INTR) return "ruleset_changing";
    if (code !== ErrorCodes.TIMEOUT) return undefined;
    if (this.#changing || this.#atBarrier) return "ruleset_changing";
    return this.options.backgroundMs ? "timeout" : undefined;
  }

  async #readProven(): Promise<Snapshot> {
    const started = Date.now();
    const stopAt = started + Math.max(this.options.maxReadMs, this.options.backgroundMs ?? 0);
    const shouldStop = () => Date.now() > stopAt;
    // Retries stop at the latest deadline of the scrapes waiting for this read, or at the background bound.
    const retryUntil = () => (this.options.backgroundMs ? stopAt : Math.min(stopAt, this.#deadlineAt));
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = Date.now();
      try {
        // With -read.background-timeout the read may outlive its scrapes: so may its optional sources.
        const cutoff = this.options.backgroundMs ? stopAt : this.#deadlineAt;
        const snapshot = await this.#attempt(cutoff, shouldStop);
        const done = Date.now();
        const read = {
          ...snapshot,
          attempts: attempt,
          readAtMs: done,
          readDurationMs: done - started,
          ...this.#generationSince(snapshot.generation, done),
        };
        // A read that lost an optional source is served, but stands in later only for one that did too.
        if (!this.#last || complete(read) || !complete(this.#last)) this.#last = read;
        return read;
      } catch (err) {
        const reason = retryReason(err);
        if (reason) {
          this.stats.retries[reason]++;
          this.#changing = true;
          if (attempt === STALE_AFTER_RETRIES) for (const tell of [...this.#churnWaiters]) tell();
        }
        // Only an attempt that should fit: a late one would lose its optional sources to their cutoff.
        const fits = Date.now() + (Date.now() - attemptStarted) + PROOF_MARGIN_MS < retryUntil();
        if (reason && attempt < this.options.maxAttempts && fits) continue;
        this.#countError(err);
        throw err;
      }
    }
  }

  /** #generationSince: when the generation of a proven read was first seen (nothing without the proof). */
  #generationSince(generation: number | undefined, now: number): Pick<Snapshot, "generationSinceMs"> {
    if (generation === undefined) return {};
    if (this.#generationSeen?.generation !== generation) this.#generationSeen = { generation, sinceMs: now };
    return { generationSinceMs: this.#generationSeen.sinceMs };
  }

  /** #countError counts a failed read (or a lost optional source) under its error code. */
  #countError(err: unknown): void {
    const code = err instanceof NfpromError ? err.code : ErrorCodes.INTERNAL;
    this.stats.readErrors[code] = (this.stats.readErrors[code] ?? 0) + 1;
  }

  /** #attempt: one proven read of every part, or the error that makes it unprovable or failed. */
  async #attempt(deadlineAt: number, shouldStop: () => boolean): Promise<Snapshot> {
    const prover = this.prover;
    const before = prover ? await this.#waiting(() => prover.begin()) : 0;
    let snapshot: Snapshot;
    try {
      snapshot = await this.#readParts(deadlineAt, shouldStop);
    } catch (err) {
      // A failure the ruleset's change explains (a table gone mid-reload) is a retry, not a report.
      if (this.prover && !retryReason(err) && explainedByChange(err)) await this.#end(before);
      throw err;
    }
    const generation = await this.#end(before);
    return this.prover ? { ...snapshot, generation } : snapshot;
  }

  async #end(before: number): Promise<number> {
    const prover = this.prover;
    return prover ? this.#waiting(() => prover.end(before)) : 0;
  }

  /** #waiting marks a wait for the kernel's commit mutex: a deadline meanwhile means "changing". */
  async #waiting<T>(fn: () => Promise<T>): Promise<T> {
    this.#atBarrier = true;
    try {
      return await fn();
    } finally {
      this.#atBarrier = false;
    }
  }

  /** #readParts reads the rules and the optional sources concurrently and waits until all are settled. */
  async #readParts(deadlineAt: number, shouldStop: () => boolean): Promise<Snapshot> {
    // Optional sources give up a little before the scrape does, leaving time to end the proof.
    const sourcesDeadline = deadlineAt - PROOF_MARGIN_MS;
    const optional = this.sources.map((runner) => this.#timed(runner, sourcesDeadline, shouldStop));
    const [rules, ...outcomes] = await Promise.allSettled([this.rules.read(shouldStop), ...optional]);
    // Every part has settled: no socket of this attempt is still in a dump when the next one starts.
    const torn = [rules, ...outcomes].find((o) => o?.status === "rejected");
    if (torn?.status === "rejected" && retryReason(torn.reason)) throw torn.reason;
    if (rules?.status === "rejected") throw rules.reason;
    const snapshot = (rules as PromiseFulfilledResult<Snapshot>).value;
    if (this.sources.length === 0) return snapshot;
    const sources: SourceStatus[] = [];
    const result: Snapshot = { ...snapshot, sources };
    for (const outcome of outcomes) {
      const { status, sections } = (outcome as PromiseFulfilledResult<Timed>).value;
      sources.push(status);
      Object.assign(result, sections);
    }
    return result;
  }

  /**
   * #timed never rejects for a source's own failure or lateness: that becomes `ok: false` and an empty
   * section (a late source's dump is abandoned: its socket is replaced). A torn dump rejects: retried.
   */
  async #timed(runner: SourceRunner, deadlineAt: number, shouldStop: () => boolean): Promise<Timed> {
    const started = Date.now();
    const name = runner.source.name;
    try {
      const sections = await beforeDeadline(runner.collect(shouldStop, deadlineAt), deadlineAt);
      return { status: { name, ok: true, durationMs: Date.now() - started }, sections };
    } catch (err) {
      if (retryReason(err)) throw err;
      runner.abandon();
      this.onSourceError(name, err);
      this.#countError(err);
      return { status: { name, ok: false, durationMs: Date.now() - started }, sections: {} };
    }
  }
}

type Timed = { status: SourceStatus; sections: Sections };

/**
 * Attempts thrown away after which scrapes waiting for the read get the last complete snapshot at once:
 * a ruleset changing faster than it can be read (a set filled by `nft add element` in a loop) would
 * otherwise hold every scrape until its deadline.
 */
const STALE_AFTER_RETRIES = 3;

function unproven(): NfpromError {
  return new NfpromError(ErrorCodes.RULESET_CHANGED, "the ruleset kept changing during the read");
}

/** Time kept between a late optional source's cutoff and the scrape's deadline, for the proof's end. */
const PROOF_MARGIN_MS = 25;

/** retryReason: the errors that say "this read is not whole", which a new attempt can cure. */
export function retryReason(err: unknown): RetryReason | undefined {
  if (!(err instanceof NfpromError)) return undefined;
  if (err.code === ErrorCodes.DUMP_INTR) return "dump_interrupted";
  if (err.code === ErrorCodes.RULESET_CHANGED) return "ruleset_changed";
  return undefined;
}

/** complete: every optional source of the read answered in time. */
function complete(snapshot: Snapshot): boolean {
  return snapshot.sources?.every((source) => source.ok) ?? true;
}

/** explainedByChange: failures a concurrent transaction can cause (a chain, set or table not found). */
function explainedByChange(err: unknown): boolean {
  return err instanceof NfpromError && (err.code === ErrorCodes.NO_TABLE || err.code === ErrorCodes.NETLINK);
}
