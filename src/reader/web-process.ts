import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { WebConfigMessage } from "../ipc/protocol.js";
import { WEB_EXIT_FATAL } from "../ipc/protocol.js";
import type { Logger } from "../log.js";
import { V8_MEMORY_OPTIONS } from "../memory.js";

export const WEB_MAIN = fileURLToPath(new URL("../web/main.js", import.meta.url));
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A web process that ran this long counts as healthy: the next crash restarts from MIN_BACKOFF_MS. */
const HEALTHY_RUN_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface WebProcessOptions {
  /** Serialised web configuration, passed as the only argument. */
  configJson: string;
  onMessage: (child: ChildProcess, msg: unknown) => void;
  /** Called right after each fork (first start and restarts): the reader sends the web config here. */
  onSpawn: (child: ChildProcess) => void;
  /** Called when the web process exits with WEB_EXIT_FATAL: the reader should give up. */
  onFatal: (code: number) => void;
  log: Logger;
}

/**
 * WebProcess supervises the unprivileged web process: it starts it, restarts it with exponential backoff
 * when it dies (0.5 s doubling to 30 s), gives up when it exits with WEB_EXIT_FATAL, and stops it on
 * shutdown. The IPC channel is the only link; when the reader dies the channel closes and the web exits.
 */
export class WebProcess {
  #child: ChildProcess | undefined;
  #backoffMs = MIN_BACKOFF_MS;
  #stopping = false;
  #restarting = false;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(readonly options: WebProcessOptions) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    const startedAt = Date.now();
    const child = fork(WEB_MAIN, [this.options.configJson], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: V8_MEMORY_OPTIONS,
    });
    this.#child = child;
    child.on("message", (msg) => this.options.onMessage(child, msg));
    this.options.onSpawn(child);
    child.on("error", (err) => this.options.log.error("web process error", { err: err.message }));
    child.on("exit", (code, signal) => {
      this.#child = undefined;
      if (this.#stopping) return;
      if (this.#restarting) {
        this.#restarting = false;
        this.start();
        return;
      }
      if (code === WEB_EXIT_FATAL) {
        this.options.onFatal(code);
        return;
      }
      if (Date.now() - startedAt > HEALTHY_RUN_MS) this.#backoffMs = MIN_BACKOFF_MS;
      this.options.log.warn("web process exited; restarting", {
        code: code ?? undefined,
        signal: signal ?? undefined,
        restart_in: `${this.#backoffMs}ms`,
      });
      this.#restartTimer = setTimeout(() => this.start(), this.#backoffMs);
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    });
    this.options.log.info("web process started", { pid: child.pid });
  }

  /** send delivers a message to the running web process; dropped when there is none (it gets it on spawn). */
  send(msg: WebConfigMessage): void {
    const child = this.#child;
    if (child?.connected)
      child.send(msg, (err) => err && this.options.log.debug("message not delivered", { err: err.message }));
  }

  /**
   * restart replaces the web process at once (SIGTERM, then a fresh fork without backoff), for changes it
   * cannot apply while listening, such as switching between HTTP and HTTPS.
   */
  restart(): void {
    const child = this.#child;
    if (!child || this.#stopping) return;
    this.#restarting = true;
    child.kill("SIGTERM");
  }

  /** stop ends the web process: SIGTERM, then SIGKILL after a grace period. Resolves when it has exited. */
  stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
