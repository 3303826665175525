import type { ErrorCode } from "../errors.js";
import type { Snapshot, SourceStatus } from "../model/snapshot.js";
import type { Sections, SourceRunner } from "./sources/source.js";

export type ReadStats = { dumpInterrupted: number; readErrors: Partial<Record<ErrorCode, number>> };

/** addStats adds the counters of `from` to `into` (readers' stats are cumulative counters). */
export function addStats(into: ReadStats, from: ReadStats): ReadStats {
  into.dumpInterrupted += from.dumpInterrupted;
  for (const [code, n] of Object.entries(from.readErrors) as [ErrorCode, number][]) {
    into.readErrors[code] = (into.readErrors[code] ?? 0) + n;
  }
  return into;
}

/** RulesReader is what reads the rule counters: ChainReader (one chain) or ChainsReader (several). */
export interface RulesReader {
  readonly stats: ReadStats;
  read(deadlineAt: number): Promise<Snapshot>;
  close(): void;
}

/**
 * Collector reads the rules and every enabled optional source concurrently, each on its own socket,
 * under one deadline. The rules decide success (nfprom_up): when they fail, the read fails, as before.
 * An optional source that fails or misses the deadline only loses its section, and says so in
 * `sources`. With no optional source the snapshot is exactly the rules reader's.
 */
export class Collector {
  constructor(
    readonly rules: RulesReader,
    readonly sources: readonly SourceRunner[],
    readonly onSourceError: (name: string, err: unknown) => void,
  ) {}

  get stats(): ReadStats {
    const total = addStats({ dumpInterrupted: 0, readErrors: {} }, this.rules.stats);
    for (const runner of this.sources) addStats(total, runner.stats);
    return total;
  }

  async read(deadlineAt: number): Promise<Snapshot> {
    if (this.sources.length === 0) return this.rules.read(deadlineAt);
    const optional = this.sources.map((runner) => this.#timed(runner, deadlineAt));
    const snapshot = await this.rules.read(deadlineAt);
    const outcomes = await Promise.all(optional);
    const sources: SourceStatus[] = [];
    const result: Snapshot = { ...snapshot, sources };
    for (const { status, sections } of outcomes) {
      sources.push(status);
      Object.assign(result, sections);
    }
    return result;
  }

  close(): void {
    this.rules.close();
    for (const runner of this.sources) runner.close();
  }

  /** #timed never rejects: a source's failure or lateness becomes `ok: false` and an empty section. */
  async #timed(
    runner: SourceRunner,
    deadlineAt: number,
  ): Promise<{ status: SourceStatus; sections: Sections }> {
    const started = Date.now();
    const name = runner.source.name;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("read deadline exceeded")),
        Math.max(0, deadlineAt - started),
      );
    });
    try {
      const sections = await Promise.race([runner.collect(deadlineAt), late]);
      return { status: { name, ok: true, durationMs: Date.now() - started }, sections };
    } catch (err) {
      this.onSourceError(name, err);
      return { status: { name, ok: false, durationMs: Date.now() - started }, sections: {} };
    } finally {
      clearTimeout(timer);
    }
  }
}
