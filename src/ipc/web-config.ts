import type { ListenAddress } from "../config/config.js";
import type { PolicyOptions } from "../labels/policy.js";
import type { LogFormat, LogLevel } from "../log.js";

/**
 * WebConfig is what the reader tells the web process, as JSON in its only argument. The web security
 * settings (TLS keys, users) never go there — argv is world-readable in /proc — but over the socketpair
 * to the reader (ipc/protocol.ts).
 */
export interface WebConfig {
  listen: ListenAddress[];
  telemetryPath: string;
  maxRequests: number;
  namespace: string;
  headerTimeoutMs: number;
  readTimeoutMs: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The label policy's options (-all-rules, -duplicates); derived labels arrive with each snapshot. */
  policy: PolicyOptions;
  /** Exit instead of serving when the process still holds root or any capability. */
  refuseRoot: boolean;
  /**
   * The user and group to switch to once the code is loaded; set when the reader runs as root. The reader
   * starts this process as root so that it loads from an install directory the web user cannot enter.
   */
  identity?: { uid: number; gid: number } | undefined;
}
