import type { Logger } from "../log.js";
import { loadWebSecurity } from "../webconfig/load.js";
import { listenerShape, NO_SECURITY, type WebSecurity } from "../webconfig/model.js";
import { WebConfigError } from "../webconfig/parse.js";

export type ReloadOutcome = "unchanged-shape" | "restart" | "failed";

/**
 * WebSecuritySource holds the settings of --web.config.file in the privileged reader. load() at start
 * throws WebConfigError (the CLI exits 2); reload() on SIGHUP keeps the current settings when the file
 * is bad and logs why, so a typo never takes the exporter down or opens it up.
 */
export class WebSecuritySource {
  #current: WebSecurity = NO_SECURITY;

  constructor(
    readonly path: string | undefined,
    readonly log: Logger,
  ) {}

  get current(): WebSecurity {
    return this.#current;
  }

  load(): WebSecurity {
    this.#current = this.path === undefined ? NO_SECURITY : loadWebSecurity(this.path);
    return this.#current;
  }

  /** reload re-reads the file: "restart" when the web process must be restarted to apply it. */
  reload(): ReloadOutcome {
    if (this.path === undefined) {
      this.log.info("SIGHUP: no --web.config.file to reload");
      return "failed";
    }
    const before = this.#current;
    try {
      this.#current = loadWebSecurity(this.path);
    } catch (err) {
      if (!(err instanceof WebConfigError)) throw err;
      this.log.error("web config not reloaded; keeping the previous one", { err: err.message });
      return "failed";
    }
    this.log.info("web config reloaded", { file: this.path, tls: Boolean(this.#current.tls) });
    return listenerShape(before) === listenerShape(this.#current) ? "unchanged-shape" : "restart";
  }
}
