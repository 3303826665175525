import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { ReadRequest, WebConfigMessage } from "../ipc/protocol.js";
import { WEB_EXIT_FATAL } from "../ipc/protocol.js";
import type { Logger } from "../log.js";
import { V8_MEMORY_OPTIONS } from "../memory.js";
import { WebChannel } from "./web-channel.js";

export const WEB_MAIN = fileURLToPath(new URL("../web/main.js", import.meta.url));
const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A web process that ran this long counts as healthy: the next crash restarts from MIN_BACKOFF_MS. */
const HEALTHY_RUN_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface WebProcessOptions {
  /** Serialised web configuration, passed as the only argument. */
  configJson: string;
  onRead: (channel: WebChannel, req: ReadRequest) => void;
  /** Called right after each start (first start and restarts): the reader sends the web config here. */
  onSpawn: (channel: WebChannel) => void;
  /** Called when the web process exits with WEB_EXIT_FATAL: the reader should give up. */
  onFatal: (code: number) => void;
  log: Logger;
}

/**
 * WebProcess supervises the unprivileged web process: it starts it, restarts it with exponential backoff
 * when it dies (0.5 s doubling to 30 s), gives up when it exits with WEB_EXIT_FATAL, and stops it on
 * shutdown. A socketpair (fd 3 of the web process, WebChannel) is the only link: there is no Node IPC
 * channel, so `process.send` does not exist over there. When the reader dies the socket closes and the
 * web process exits. A web process that breaks the protocol is killed and restarted with the same backoff.
 */
export class WebProcess {
  #child: ChildProcess | undefined;
  #channel: WebChannel | undefined;
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
    // Started as the reader's own user: it switches to -u/-g itself once its code is loaded (web/main.ts),
    // so that nfprom runs from a directory that user cannot enter.
    const child = spawn(process.execPath, [...V8_MEMORY_OPTIONS, WEB_MAIN, this.options.configJson], {
      stdio: ["ignore", "inherit", "inherit", "pipe"],
      env: withoutNodeChannel(process.env),
    });
    this.#child = child;
    const channel = this.#connect(child);
    this.#channel = channel;
    this.options.onSpawn(channel);
    child.on("error", (err) => this.options.log.error("web process error", { err: err.message }));
    child.on("exit", (code, signal) => {
      this.#child = undefined;
      this.#channel = undefined;
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
    this.#channel?.sendConfig(msg);
  }

  /** #connect wraps fd 3 of the child; a protocol violation gets one log line and kills the child. */
  #connect(child: ChildProcess): WebChannel {
    const socket = child.stdio[3] as Socket;
    // The web process going away mid-write (EPIPE, ECONNRESET) is its exit, handled there.
    socket.on("error", (err) => this.options.log.debug("link to the web process", { err: err.message }));
    return new WebChannel(socket, {
      onRead: this.options.onRead,
      onViolation: (reason) => {
        this.options.log.warn("the web process broke the protocol; killing it", { pid: child.pid, reason });
        child.kill("SIGKILL");
      },
    });
  }

  /**
   * restart replaces the web process at once (SIGTERM, then a fresh start without backoff), for changes it
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

/** The environment minus Node's IPC markers: a web process must never open an IPC channel of its own. */
function withoutNodeChannel(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_CHANNEL_FD: _fd, NODE_CHANNEL_SERIALIZATION_MODE: _mode, ...rest } = env;
  return rest;
}
