import type { ReadRequest } from "../ipc/protocol.js";
import { Logger } from "../log.js";
import { dropAllPrivileges, isUnprivileged, procStatus } from "../privileges/caps.js";
import { WEB_EXIT_FATAL } from "../reader/web-process.js";
import type { WebConfig } from "./config.js";
import { ReaderClient } from "./reader-client.js";
import { Scraper } from "./scrape.js";
import { createMetricsServer } from "./server.js";

/**
 * The unprivileged web process. Started by the reader over fork() with an IPC channel; it first gives up
 * every privilege it may have inherited, then serves HTTP and asks the reader for data on each scrape.
 * It exits when the IPC channel closes (the reader is gone) and on SIGTERM/SIGINT.
 */
function main(): void {
  const config = JSON.parse(process.argv[2] ?? "{}") as WebConfig;
  const log = new Logger(config.logLevel, "web");
  if (!process.send || !process.connected) {
    log.error("the web process is started by nfprom itself, not by hand");
    process.exit(WEB_EXIT_FATAL);
  }
  try {
    dropAllPrivileges();
  } catch (err) {
    log.error("cannot drop privileges", { err: (err as Error).message });
    process.exit(WEB_EXIT_FATAL);
  }
  const status = procStatus();
  if (config.refuseRoot && !isUnprivileged(status)) {
    log.error("refusing to serve HTTP with root or capabilities", { uid: status.uid.join(",") });
    process.exit(WEB_EXIT_FATAL);
  }

  const client = new ReaderClient((msg: ReadRequest) => {
    if (!process.connected) throw new Error("disconnected");
    process.send?.(msg);
  });
  process.on("message", (msg) => client.deliver(msg));
  process.on("disconnect", () => {
    log.info("reader gone; exiting");
    process.exit(0);
  });

  const scraper = new Scraper(config.namespace, log);
  const server = createMetricsServer({
    headerTimeoutMs: config.headerTimeoutMs,
    readTimeoutMs: config.readTimeoutMs,
    log,
    scrape: async (timeoutMs) => {
      const started = process.hrtime.bigint();
      return scraper.render(await client.read(timeoutMs), started);
    },
  });
  server.on("error", (err: NodeJS.ErrnoException) => {
    log.error("cannot listen", {
      address: `${config.listen.host ?? ""}:${config.listen.port}`,
      err: err.message,
    });
    process.exit(WEB_EXIT_FATAL);
  });
  server.listen({ host: config.listen.host, port: config.listen.port }, () => {
    const addr = server.address();
    log.info("listening", {
      address: typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr),
      uid: status.uid[0],
      gid: status.gid[0],
    });
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main();
