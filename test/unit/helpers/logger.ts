import type { LogLevel } from "../../../src/log.js";
import { type LogFields, Logger } from "../../../src/log.js";

/** CaptureLogger records log calls instead of writing logfmt to stderr. */
export class CaptureLogger extends Logger {
  readonly entries: { level: LogLevel; msg: string; fields: LogFields }[] = [];

  constructor() {
    super("debug", "test");
  }

  override debug(msg: string, fields: LogFields = {}): void {
    this.entries.push({ level: "debug", msg, fields });
  }
  override info(msg: string, fields: LogFields = {}): void {
    this.entries.push({ level: "info", msg, fields });
  }
  override warn(msg: string, fields: LogFields = {}): void {
    this.entries.push({ level: "warn", msg, fields });
  }
  override error(msg: string, fields: LogFields = {}): void {
    this.entries.push({ level: "error", msg, fields });
  }

  /** take returns the entries logged since the last take. */
  take(): { level: LogLevel; msg: string; fields: LogFields }[] {
    return this.entries.splice(0);
  }
}
