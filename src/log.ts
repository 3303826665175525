import type { LogFormat, LogLevel } from "./cli/flags.js";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Record<string, string | number | bigint | boolean | undefined>;

/**
 * Logger writes one line per message to stderr: logfmt (`ts=… level=… msg="…" key=value`, the default) or
 * a JSON object with the same keys (`--log.format=json`, for log shippers that parse JSON).
 */
export class Logger {
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
