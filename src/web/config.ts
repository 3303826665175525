import type { ListenAddress, LogLevel } from "../cli/flags.js";

/** WebConfig is what the reader tells the web process, as JSON in its only argument. */
export interface WebConfig {
  listen: ListenAddress;
  namespace: string;
  headerTimeoutMs: number;
  readTimeoutMs: number;
  logLevel: LogLevel;
  /** Exit instead of serving when the process still holds root or any capability. */
  refuseRoot: boolean;
}
