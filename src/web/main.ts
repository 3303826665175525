import { isWebConfigMessage, type ReadRequest, WEB_EXIT_FATAL } from "../ipc/protocol.js";
import { Logger } from "../log.js";
import { dropAllPrivileges, isUnprivileged, procStatus, switchIdentity } from "../privileges/caps.js";
import type { WebSecurity } from "../webconfig/model.js";
import type { WebConfig } from "./config.js";
import { WebFrontend } from "./frontend.js";
import { InFlightLimit } from "./limits.js";
import { processFamilies } from "./process-metrics.js";
import { ReaderClient } from "./reader-client.js";
import { Scraper } from "./scrape.js";
import type { ServerOptions } from "./server.js";

/**
 * The unprivileged web process. Started by the reader over fork() with an IPC channel; once its modules are
 * loaded (all imported statically, above) it switches to the web user and gives up every privilege it may
 * have inherited, waits for the web security settings the reader sends first,
 * then serves HTTP(S) and asks the reader for data on each scrape. It exits when the IPC channel closes
 * (the reader is gone) and on SIGTERM/SIGINT.
 */
function main(): void {
  const config = JSON.parse(process.argv[2] ?? "{}") as WebConfig;
  const log = new Logger(config.logLevel, "web", config.logFormat);
  if (!process.send || !process.connected)
    fatal(log, "the web process is started by nfprom itself, not by hand");
  try {
    if (config.identity) switchIdentity(config.identity.uid, config.identity.gid);
    dropAllPrivileges();
  } catch (err) {
    fatal(log, "cannot drop privileges", { err: (err as Error).message });
  }
  const status = procStatus();
  if (config.refuseRoot && !isUnprivileged(status)) {
    fatal(log, "refusing to serve HTTP with root or capabilities", { uid: status.uid.join(",") });
  }

  const client = new ReaderClient((msg: ReadRequest) => {
    if (!process.connected) throw new Error("disconnected");
    process.send?.(msg);
  });
  const options = serverOptions(config, client, log);
  let frontend: WebFrontend | undefined;
  process.on("message", (msg) => {
    if (!isWebConfigMessage(msg)) return client.deliver(msg);
    if (!frontend) {
      frontend = new WebFrontend(options, config.listen, msg.security);
      start(frontend, log, status.uid[0]);
    } else {
      applyReload(frontend, msg.security, log);
    }
  });
  process.on("disconnect", () => {
    log.info("reader gone; exiting");
    process.exit(0);
  });
  const stop = () => {
    frontend?.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // SIGHUP means "reload" to the reader, which re-reads the file and sends the result; a SIGHUP sent to
  // the whole process group must not kill this process.
  process.on("SIGHUP", () => {});
}

function serverOptions(config: WebConfig, client: ReaderClient, log: Logger): ServerOptions {
  const scraper = new Scraper(config.namespace, log, processFamilies, config.policy);
  return {
    headerTimeoutMs: config.headerTimeoutMs,
    readTimeoutMs: config.readTimeoutMs,
    telemetryPath: config.telemetryPath,
    inFlight: new InFlightLimit(config.maxRequests),
    log,
    scrape: async (timeoutMs, format, chunkBytes) => {
      const started = process.hrtime.bigint();
      return scraper.chunks(await client.read(timeoutMs), started, format, chunkBytes);
    },
  };
}

function start(frontend: WebFrontend, log: Logger, uid: number | undefined): void {
  frontend.listen().then(
    (addresses) => {
      for (const address of addresses) log.info("listening", { address, scheme: frontend.scheme, uid });
    },
    (err: NodeJS.ErrnoException & { address?: string }) => {
      fatal(log, "cannot listen", { address: err.address, err: err.message });
    },
  );
}

function applyReload(frontend: WebFrontend, security: WebSecurity, log: Logger): void {
  if (frontend.apply(security)) {
    log.info("web config applied", {
      file: security.source,
      tls: Boolean(security.tls),
      users: Object.keys(security.users).length,
    });
    return;
  }
  // The reader restarts the web process for such a change; reaching this is a bug, and exiting is safe.
  log.error("web config changes the listener (HTTP/HTTPS, client certificates); restarting");
  process.exit(0);
}

function fatal(log: Logger, msg: string, fields?: Record<string, string | undefined>): never {
  log.error(msg, fields);
  process.exit(WEB_EXIT_FATAL);
}

main();
