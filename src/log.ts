import type { LogLevel } from "./cli/flags.js";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Record<string, string | number | bigint | boolean | undefined>;

/** Logger writes logfmt lines (`ts=… level=… msg="…" key=value`) to stderr. */
export class Logger {
  constructor(
    readonly level: LogLevel,
    readonly component: string,
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

  #write(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    let line = `ts=${new Date().toISOString()} level=${level} component=${this.component} msg=${quote(msg)}`;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${quote(String(v))}`;
    process.stderr.write(`${line}\n`);
  }
}

/** quote leaves simple values bare and quotes the rest logfmt-style, escaping \, " and control characters. */
function quote(v: string): string {
  if (/^[\w.:/@+-]+$/.test(v)) return v;
  return JSON.stringify(v);
}
