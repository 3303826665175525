import type { Logger } from "../log.js";
import { listenerShape, NO_SECURITY, WebConfigError, type WebSecurity } from "../webconfig/model.js";

export type ReloadOutcome = "unchanged-shape" | "restart" | "failed";

/**
 * WebSecuritySource holds the settings of --web.config.file in the privileged reader. load() at start
 * throws WebConfigError (the CLI exits 2); reload() on SIGHUP keeps the current settings when the file
 * is bad and logs why, so a typo never takes the exporter down or opens it up. The file's parser (YAML,
 * TLS) is loaded only when there is a file: without one it would be ~2 MiB of the reader's heap for nothing.
 */
export class WebSecuritySource {
  #current: WebSecurity = NO_SECURITY;
  #loadFile: ((path: string) => WebSecurity) | undefined;

  constructor(
    readonly path: string | undefined,
    readonly log: Logger,
  ) {}

  get current(): WebSecurity {
    return this.#current;
  }

  async load(): Promise<WebSecurity> {
    if (this.path !== undefined) {
      this.#loadFile = (await import("../webconfig/load.js")).loadWebSecurity;
      this.#current = this.#loadFile(this.path);
    }
    this.#warnWeaknesses();
    return this.#current;
  }

  /** #warnWeaknesses: a file that was meant to protect the endpoint and does not is worth a warning. */
  #warnWeaknesses(): void {
    if (this.path === undefined) return;
    for (const problem of weaknesses(this.#current)) this.log.warn(problem, { file: this.path });
  }

  /** reload re-reads the file: "restart" when the web process must be restarted to apply it. */
  reload(): ReloadOutcome {
    if (this.path === undefined || this.#loadFile === undefined) {
      this.log.info("SIGHUP: no --web.config.file to reload");
      return "failed";
    }
    const before = this.#current;
    try {
      this.#current = this.#loadFile(this.path);
    } catch (err) {
      if (!(err instanceof WebConfigError)) throw err;
      this.log.error("web config not reloaded; keeping the previous one", { err: err.message });
      return "failed";
    }
    this.log.info("web config reloaded", { file: this.path, tls: Boolean(this.#current.tls) });
    this.#warnWeaknesses();
    return listenerShape(before) === listenerShape(this.#current) ? "unchanged-shape" : "restart";
  }
}

/**
 * weaknesses lists what a web config file leaves open: no authentication at all (neither basic auth nor
 * verified client certificates), or passwords sent without TLS. An empty file is the first case.
 */
export function weaknesses(security: WebSecurity): string[] {
  const users = Object.keys(security.users).length > 0;
  const clientCerts = security.tls?.clientAuth === "RequireAndVerifyClientCert";
  const out: string[] = [];
  if (!users && !clientCerts)
    out.push(
      security.tls
        ? "web config file sets no basic_auth_users and no verified client certificates: every client that reaches the port can scrape"
        : "web config file enables neither TLS nor authentication: plain HTTP, every client that reaches the port can scrape",
    );
  if (users && !security.tls)
    out.push("web config file sets basic_auth_users without TLS: passwords cross the network in clear text");
  return out;
}
