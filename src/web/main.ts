import { Socket } from "node:net";
import { fs } from "../builtins.js";
import { FrameDecoder, writeFrame } from "../ipc/framing.js";
import {
  decodeReaderMessage,
  encodeReadRequest,
  isWebConfigMessage,
  type ReaderMessage,
  WEB_EXIT_FATAL,
} from "../ipc/protocol.js";
import { decodeWebConfig, type WebConfig } from "../ipc/web-config.js";
import { Logger } from "../log.js";
import { dropAllPrivileges, isUnprivileged, procStatus, switchIdentity } from "../privileges/caps.js";
import { Scraper } from "../render/scrape.js";
import type { WebSecurity } from "../webconfig/model.js";
import { bcryptThread } from "./bcrypt-thread.js";
import { WebFrontend } from "./frontend.js";
import { InFlightLimit } from "./limits.js";
import { LiveView } from "./live.js";
import { processFamilies, webStartFamily } from "./process-metrics.js";
import { ReaderClient } from "./reader-client.js";
import type { ServerOptions } from "./server.js";

const { fstatSync } = fs;

/** The reader's end of the socketpair is this process's fd 3 (reader/web-process.ts). */
const READER_FD = 3;
/** What a frame from the reader may announce: the reader is trusted; this only keeps Buffer sizes valid. */
const MAX_READER_FRAME = 2 ** 31;

/**
 * The unprivileged web process. Started by the reader with a socketpair as fd 3 (no Node IPC channel).
 * Once its modules are loaded (all imported statically, above) it switches to the web user and gives up
 * every privilege it may have inherited, waits for the web security settings the reader sends first, then
 * serves HTTP(S) and asks the reader for data on each scrape. It exits when the socket closes (the reader
 * is gone) and on SIGTERM/SIGINT.
 */
function main(): void {
  const config = configFromArgv(process.argv[2]);
  const log = new Logger(config.logLevel, "web", config.logFormat);
  if (!isSocket(READER_FD)) fatal(log, "the web process is started by nfprom itself, not by hand");
  try {
    if (config.identity) {
      // Its code is read from the install directory, which the web user may not enter.
      if (config.mayAuthenticate) bcryptThread.prestart();
      switchIdentity(config.identity.uid, config.identity.gid);
    }
    dropAllPrivileges();
  } catch (err) {
    fatal(log, "cannot drop privileges", { err: (err as Error).message });
  }
  const status = procStatus();
  if (config.refuseRoot && !isUnprivileged(status)) {
    fatal(log, "refusing to serve HTTP with root or capabilities", { uid: status.uid.join(",") });
  }

  const reader = new Socket({ fd: READER_FD, readable: true, writable: true });
  const client = new ReaderClient((req) => {
    if (!reader.writable) throw new Error("disconnected");
    writeFrame(reader, encodeReadRequest(req));
  });
  const options = serverOptions(config, client, log);
  let frontend: WebFrontend | undefined;
  const onMessage = (msg: ReaderMessage) => {
    if (!isWebConfigMessage(msg)) return client.deliver(msg);
    if (!frontend) {
      frontend = new WebFrontend(options, config.listen, msg.security);
      start(frontend, log, status.uid[0]);
    } else {
      applyReload(frontend, msg.security, log);
    }
  };
  const frames = new FrameDecoder(MAX_READER_FRAME, (payload) => onMessage(decodeReaderMessage(payload)));
  reader.on("data", (chunk: Buffer) => frames.push(chunk));
  // Whatever ends the link (EOF, ECONNRESET) is followed by 'close'.
  reader.on("error", () => {});
  reader.on("close", () => {
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
  const own = () => [webStartFamily(config.namespace), ...processFamilies()];
  const scraper = new Scraper(config.namespace, log, own, config.policy);
  const inFlight = new InFlightLimit(config.maxRequests);
  // The live view's read is a scrape's read, within the same --web.max-requests slots; without a free
  // slot the view shows the last scrape as it is.
  const liveRead = async () => {
    if (!inFlight.tryEnter()) return;
    try {
      const started = process.hrtime.bigint();
      scraper.take(await client.read(config.readTimeoutMs), started);
    } finally {
      inFlight.leave();
    }
  };
  const live = new LiveView(
    () => scraper.last,
    () => scraper.findings(),
    liveRead,
    config.namespace,
    config.telemetryPath,
  );
  return {
    headerTimeoutMs: config.headerTimeoutMs,
    readTimeoutMs: config.readTimeoutMs,
    telemetryPath: config.telemetryPath,
    inFlight,
    log,
    scrape: async (timeoutMs, format, chunkBytes) => {
      const started = process.hrtime.bigint();
      return scraper.chunks(await client.read(timeoutMs), started, format, chunkBytes);
    },
    live: (params) => live.answer(params),
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

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

/** configFromArgv decodes the reader's argument; a bad one ends the process at once (no restart helps). */
function configFromArgv(json: string | undefined): WebConfig {
  try {
    return decodeWebConfig(json);
  } catch (err) {
    fatal(new Logger("info", "web"), "bad configuration from the reader", { err: (err as Error).message });
  }
}

function fatal(log: Logger, msg: string, fields?: Record<string, string | undefined>): never {
  log.error(msg, fields);
  process.exit(WEB_EXIT_FATAL);
}

main();
