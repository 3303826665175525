import { monotonicMs } from "./clock.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["logfmt", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Record<string, string | number | bigint | boolean | undefined>;

/**
 * Logger writes one line per message to stderr: logfmt (`ts=… level=… msg="…" key=value`, the default) or
 * a JSON object with the same keys (`--log.format=json`, for log shippers that parse JSON).
 */
export class Logger {
  readonly #repeats = new RepeatLimit();
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly level: LogLevel,
    readonly component: string,
    readonly format: LogFormat = "logfmt",
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.#write("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#write("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields);
  }

  /**
   * warnRepeated is warn for a message that clients or the kernel can trigger over and over (a failing
   * read, a bad request): at most REPEATS_PER_INTERVAL lines of `kind` per REPEAT_INTERVAL_MS, a line
   * when counting begins, and one with the count of the lines suppressed when the interval is over.
   */
  warnRepeated(kind: string, msg: string, fields?: LogFields): void {
    this.#repeated("warn", kind, msg, fields);
  }

  /** errorRepeated is warnRepeated at level error. */
  errorRepeated(kind: string, msg: string, fields?: LogFields): void {
    this.#repeated("error", kind, msg, fields);
  }

  #repeated(level: "warn" | "error", kind: string, msg: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    const verdict = this.#repeats.admit(kind, monotonicMs());
    if (verdict.suppressed > 0) this.#suppressed(kind, verdict.suppressed);
    if (verdict.write) this[level](msg, fields);
    if (verdict.write || !verdict.firstSuppressed) return;
    this.warn("repeated warnings: counting the rest of this interval", {
      kind,
      max: REPEATS_PER_INTERVAL,
      interval: `${REPEAT_INTERVAL_MS / 1000}s`,
    });
    this.#flushLater();
  }

  #suppressed(kind: string, count: number): void {
    this.warn("repeated warnings suppressed", {
      kind,
      suppressed: count,
      interval: `${REPEAT_INTERVAL_MS / 1000}s`,
    });
  }

  /** #flushLater writes the counts of finished intervals even when no message of their kind follows. */
  #flushLater(): void {
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      for (const [kind, n] of this.#repeats.due(monotonicMs())) this.#suppressed(kind, n);
      if (this.#repeats.pending) this.#flushLater();
    }, REPEAT_INTERVAL_MS);
    this.#flushTimer.unref();
  }

  #write(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    const head = { ts: new Date().toISOString(), level, component: this.component, msg };
    const entries = Object.entries({ ...fields, ...head }).filter(([, v]) => v !== undefined);
    // The fixed keys come first and cannot be overwritten by a field of the same name.
    const ordered = [...Object.entries(head), ...entries.filter(([k]) => !(k in head))];
    process.stderr.write(`${this.format === "json" ? jsonLine(ordered) : logfmtLine(ordered)}\n`);
  }
}

type Entry = [string, LogFields[string]];

function logfmtLine(entries: Entry[]): string {
  return entries.map(([k, v]) => `${k}=${quote(String(v))}`).join(" ");
}

/** jsonLine prints bigints as strings: JSON numbers above 2^53 lose precision in most parsers. */
function jsonLine(entries: Entry[]): string {
  return JSON.stringify(
    Object.fromEntries(entries.map(([k, v]) => [k, typeof v === "bigint" ? String(v) : v])),
  );
}

/** quote leaves simple values bare and quotes the rest logfmt-style, escaping \, " and control characters. */
function quote(v: string): string {
  if (/^[\w.:/@+-]+$/.test(v)) return v;
  return JSON.stringify(v);
}

/** Lines of one kind written per REPEAT_INTERVAL_MS before the rest are only counted. */
export const REPEATS_PER_INTERVAL = 5;
export const REPEAT_INTERVAL_MS = 60_000;

interface KindWindow {
  since: number;
  written: number;
  suppressed: number;
}

/**
 * RepeatLimit decides which messages of a kind are written: the first `perInterval` of each interval
 * (which starts with the kind's first message), the rest only counted. Each count is handed out once,
 * by `admit` when the kind's next interval starts or by `due` once its interval is over. Pure: the
 * caller passes the time.
 */
export class RepeatLimit {
  readonly #kinds = new Map<string, KindWindow>();

  constructor(
    readonly perInterval = REPEATS_PER_INTERVAL,
    readonly intervalMs = REPEAT_INTERVAL_MS,
  ) {}

  /**
   * admit: whether this message is written, whether it is the interval's first one suppressed, and how
   * many of the kind a finished interval suppressed.
   */
  admit(kind: string, now: number): { write: boolean; firstSuppressed: boolean; suppressed: number } {
    let k = this.#kinds.get(kind);
    let suppressed = 0;
    if (!k) this.#forgetQuiet(now);
    if (!k || now - k.since >= this.intervalMs) {
      suppressed = k?.suppressed ?? 0;
      k = { since: now, written: 0, suppressed: 0 };
      this.#kinds.set(kind, k);
    }
    if (k.written < this.perInterval) {
      k.written++;
      return { write: true, firstSuppressed: false, suppressed };
    }
    k.suppressed++;
    return { write: false, firstSuppressed: k.suppressed === 1, suppressed };
  }

  /**
   * #forgetQuiet drops the kinds whose interval is over with nothing counted: kinds may carry a name (a
   * namespace's), and names that come and go must not pile up.
   */
  #forgetQuiet(now: number): void {
    for (const [kind, k] of this.#kinds) {
      if (k.suppressed === 0 && now - k.since >= this.intervalMs) this.#kinds.delete(kind);
    }
  }

  /** size: the kinds remembered (those of the current interval, and those with a count to hand out). */
  get size(): number {
    return this.#kinds.size;
  }

  /** due hands out the counts of the kinds whose interval is over, and forgets those kinds. */
  due(now: number): [kind: string, suppressed: number][] {
    const out: [string, number][] = [];
    for (const [kind, k] of this.#kinds) {
      if (now - k.since < this.intervalMs) continue;
      if (k.suppressed > 0) out.push([kind, k.suppressed]);
      this.#kinds.delete(kind);
    }
    return out;
  }

  /** pending: whether any kind still has an interval running (a timer must then ask `due` later). */
  get pending(): boolean {
    return this.#kinds.size > 0;
  }
}

/**
 * ReportOnce logs each finding of a round (the rejections of one policy evaluation, say) when it first
 * appears, not again in later rounds while it stays, and again if it comes back after a round without it.
 * Lines go through warnRepeated: thousands of new findings at once give a few lines and a count.
 */
export class ReportOnce {
  #last = new Set<string>();
  #current = new Set<string>();

  constructor(readonly log: Logger | undefined) {}

  /** report logs `msg` unless the last round had `key`. */
  report(key: string, msg: string, fields: LogFields): void {
    this.#current.add(key);
    if (!this.#last.has(key)) this.log?.warnRepeated(msg, msg, fields);
  }

  /** endRound forgets the findings this round did not report. */
  endRound(): void {
    this.#last = this.#current;
    this.#current = new Set();
  }
}
