import { once } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { setTimeout as delay, setImmediate as nextTurn } from "node:timers/promises";
import type { TLSSocket } from "node:tls";
import { createGzip, gzip, gzipSync, constants as zlib } from "node:zlib";
import { http, https, util } from "../builtins.js";
import type { ExpositionFormat } from "../exposition/text.js";
import { releasePiece } from "../exposition/writer.js";
import type { Logger } from "../log.js";
import { collectGarbageIfGrown } from "../memory.js";
import { cancelTimer } from "../timers.js";
import type { BasicAuth } from "./auth.js";
import { SendBacklog, type SendTicket } from "./backlog.js";
import type { InFlightLimit, TokenBucket } from "./limits.js";
import { LIVE_HEADERS, LIVE_SCRIPT, LIVE_STYLE, livePage } from "./live-page.js";
import { acceptsGzip, negotiateFormat } from "./negotiate.js";
import { peerProblem, type TlsMaterial, tlsServerOptions } from "./tls.js";

const gzipAsync = util.promisify(gzip);
/** Prometheus asks for gzip on every scrape: the fastest level, 2–3× faster for a body 6 % larger. */
const GZIP_OPTIONS = { level: zlib.Z_BEST_SPEED };
/**
 * An exposition larger than this is streamed: compressed and sent piece by piece while the next piece is
 * written (zlib works on libuv's threads), instead of written whole, then compressed, then sent. One zlib
 * stream does it: pieces compressed side by side were slower, and a gzip member per piece cuts curl's
 * --compressed short (docs/design-notes.md).
 */
const CHUNK_BYTES = 1024 * 1024;
/** Bodies below this are compressed on the event loop (~0.1 ms at 64 KiB, fastest level). */
const SYNC_GZIP_BYTES = 64 * 1024;
/** Pieces a slow client or compressor may have queued before the writing waits for it. */
const MAX_QUEUED_PIECES = 4;
/**
 * How long the writing waits for a client to take the oldest queued piece before it stops waiting and
 * writes the rest into the backlog: a client that reads takes a piece in milliseconds, and the wait
 * holds a --web.max-requests slot, which clients that never read must not be able to keep.
 */
const STALL_MS = 100;

/** Leave Prometheus this much of its scrape timeout to receive and parse the answer. */
const SCRAPE_TIMEOUT_MARGIN_MS = 250;
const MIN_READ_TIMEOUT_MS = 100;
/** Idle time allowed on a connection beyond the longest scrape, e.g. a client that stops reading. */
const IDLE_MARGIN_MS = 5_000;
/** Idle time allowed between the requests of a connection (plus the header timeout for the next head). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** The longest delay a Node timer takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_REQUESTS_PER_SOCKET = 1000;
const MAX_HEADER_BYTES = 8 * 1024;
const PROCESS_BACKLOG = new SendBacklog();

export interface ServerOptions {
  headerTimeoutMs: number;
  readTimeoutMs: number;
  telemetryPath: string;
  /**
   * Produces one exposition as pieces of about chunkBytes, each written when pulled (Scraper.chunks); must
   * never reject (a failed read is rendered as nfprom_up 0).
   */
  scrape: (timeoutMs: number, format: ExpositionFormat, chunkBytes: number) => Promise<Iterator<Buffer>>;
  /** The live view's JSON (/api/live) for a query string (see live.ts). */
  live: (params: URLSearchParams) => Promise<string>;
  inFlight: InFlightLimit;
  /** The bytes written and not yet sent (backlog.ts); default: the one of the process, for all its servers. */
  backlog?: SendBacklog;
  log: Logger;
}

/** Guard: the per-request rules of the web config file, swapped as a whole on reload. */
export interface Guard {
  auth: BasicAuth;
  headers: Record<string, string>;
  rateLimit: TokenBucket | undefined;
  tls: TlsMaterial | undefined;
}

/**
 * createMetricsServer builds one HTTP or HTTPS server (by the guard's tls at creation) serving the live
 * view at / (with /live.js, /live.css and /api/live) and the metrics at the telemetry path, GET and HEAD
 * only, all behind the same authentication. Clients get headerTimeoutMs to
 * send their request (and to finish a TLS handshake); error bodies are one plain line, never a stack
 * trace or a path. `guard` is read per request, so a reload applies to the next request.
 */
export function createMetricsServer(options: ServerOptions, guard: () => Guard): Server {
  const base = {
    // Node's own request timeouts are checked by an interval that wakes the process for good, connections
    // or not: off, in favour of one timer per connection while it owes a request (limitRequestTime).
    headersTimeout: 0,
    requestTimeout: 0,
    connectionsCheckingInterval: MAX_TIMER_MS,
    // Node's keep-alive wait is a socket timeout, an unreferenced timer: a client closing first left it
    // to wake the process 6 s after its scrape. limitRequestTime's timer closes idle connections instead.
    keepAliveTimeout: 0,
    maxHeaderSize: MAX_HEADER_BYTES,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // Node's own Date header comes from a cache that a timer resets at the next second: a wake-up after
    // every scrape (src/timers.ts). Written here, it costs a Date per response.
    res.setHeader("Date", new Date().toUTCString());
    // What Node's keep-alive wait announced: clients that honour it (Node's agent) drop the connection
    // before the server does, instead of racing its close.
    res.setHeader("Keep-Alive", `timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    handle(req, res, options, guard()).catch((err: unknown) => {
      options.log.errorRepeated("request failed", "request failed", { err: (err as Error).message });
      if (!res.headersSent) plain(res, 500, "internal error");
      else res.destroy();
    });
  };
  const tls = guard().tls;
  const server = tls
    ? https().createServer({ ...base, ...tlsServerOptions(tls, options.headerTimeoutMs) }, listener)
    : http().createServer(base, listener);
  if (tls) {
    server.on("secureConnection", (socket: TLSSocket) => {
      const current = guard().tls;
      const problem = current && peerProblem(socket, current);
      if (!problem) return;
      options.log.debug("TLS client dropped", { remote: socket.remoteAddress, reason: problem });
      socket.destroy();
    });
    server.on("tlsClientError", (err, socket) => {
      options.log.debug("TLS handshake failed", { remote: socket.remoteAddress, err: err.message });
    });
  }
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  // No server.setTimeout: a socket's idle timeout is one more timer that wakes the process between
  // scrapes; limitRequestTime covers a client that stops reading.
  const idleMs = options.readTimeoutMs + IDLE_MARGIN_MS;
  limitRequestTime(server, tls ? "secureConnection" : "connection", options.headerTimeoutMs, idleMs);
  return server;
}

/**
 * limitRequestTime drops a connection that does not deliver a whole request head in time: headerTimeoutMs
 * from when it opens (after the TLS handshake, which has its own timeout), and the keep-alive wait plus
 * headerTimeoutMs from the end of each response. While a response is owed, the same timer instead drops
 * a client that takes none of its answer for idleMs (checked every idleMs, so within twice that), whether
 * or not it keeps sending. An exporter between scrapes has no timer and does not wake up: the timers are
 * referenced (Node keeps an unreferenced timer's emptied list, and wakes for it) and cancelled with
 * cancelTimer.
 */
function limitRequestTime(
  server: Server,
  opened: "connection" | "secureConnection",
  headerTimeoutMs: number,
  idleMs: number,
) {
  const owed = new WeakMap<Socket, { timer?: NodeJS.Timeout; answering: number }>();
  const arm = (socket: Socket, ms: number, onTimeout: () => void) => {
    const state = owed.get(socket);
    if (!state || socket.destroyed) return;
    cancelTimer(state.timer); // its expiry may be earlier than the new timer's
    state.timer = setTimeout(onTimeout, ms);
  };
  const expect = (socket: Socket, ms: number) => {
    if (!owed.get(socket)?.answering) arm(socket, ms, () => socket.destroy());
  };
  const watchAnswer = (socket: Socket, unsent = socket.writableLength) =>
    arm(socket, idleMs, () => {
      const stuck = socket.writableLength > 0 && socket.writableLength === unsent;
      if (stuck) socket.destroy();
      else watchAnswer(socket);
    });
  server.on(opened, (socket: Socket) => {
    owed.set(socket, { answering: 0 });
    expect(socket, headerTimeoutMs);
    socket.once("close", () => cancelTimer(owed.get(socket)?.timer));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const state = owed.get(req.socket);
    if (!state) return;
    if (state.answering++ === 0) watchAnswer(req.socket);
    res.once("close", () => {
      state.answering--;
      expect(req.socket, KEEP_ALIVE_TIMEOUT_MS + headerTimeoutMs);
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ServerOptions, guard: Guard) {
  for (const [name, value] of Object.entries(guard.headers)) res.setHeader(name, value);
  if (guard.rateLimit && !guard.rateLimit.allow()) return plain(res, 429, "too many requests");
  const verdict = guard.auth.enabled ? await guard.auth.check(req.headers.authorization) : "ok";
  if (verdict === "busy") {
    res.setHeader("Retry-After", "1");
    return plain(res, 429, "too many authentication attempts");
  }
  if (verdict === "denied") {
    res.setHeader("WWW-Authenticate", 'Basic realm="nfprom", charset="UTF-8"');
    return plain(res, 401, "unauthorized");
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return plain(res, 405, "method not allowed");
  }
  const url = req.url ?? "/";
  const at = url.indexOf("?");
  const path = at === -1 ? url : url.slice(0, at);
  if (path === options.telemetryPath) return metrics(req, res, options);
  if (LIVE_PATHS.has(path)) return live(res, options, path, at === -1 ? "" : url.slice(at + 1));
  plain(res, 404, "not found");
}

const LIVE_PATHS = new Set(["/", "/live.js", "/live.css", "/api/live", "/favicon.ico"]);

/** live serves the live view's page, script, style and data, with its security headers. */
async function live(res: ServerResponse, options: ServerOptions, path: string, query: string): Promise<void> {
  for (const [name, value] of Object.entries(LIVE_HEADERS))
    if (!res.hasHeader(name)) res.setHeader(name, value);
  if (path === "/live.js") return send(res, 200, "text/javascript; charset=utf-8", LIVE_SCRIPT);
  if (path === "/live.css") return send(res, 200, "text/css; charset=utf-8", LIVE_STYLE);
  // Browsers ask for it on their own: no icon, and no 404 in the page's console.
  if (path === "/favicon.ico") return void res.writeHead(204).end();
  if (path === "/api/live") {
    const body = await options.live(new URLSearchParams(query));
    return send(res, 200, "application/json; charset=utf-8", body);
  }
  send(res, 200, "text/html; charset=utf-8", livePage(options.telemetryPath));
}

/**
 * metrics serves one scrape within the --web.max-requests slots, in the negotiated format and encoding.
 * The slot is held while the exposition is rendered, not while a client takes its time to read it:
 * what it has not read by then waits in the backlog, which is bounded.
 */
async function metrics(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
  if (!options.inFlight.tryEnter()) {
    options.log.debug("scrape refused: --web.max-requests reached", { max: options.inFlight.max });
    return plain(res, 503, "too many concurrent scrapes");
  }
  try {
    const format = negotiateFormat(req.headers.accept);
    const pieces = await options.scrape(scrapeTimeoutMs(req, options.readTimeoutMs), format, CHUNK_BYTES);
    res.once("close", () => collectGarbageIfGrown());
    res.setHeader("Vary", "Accept, Accept-Encoding");
    const gzipped = acceptsGzip(req.headers["accept-encoding"]);
    if (gzipped) res.setHeader("Content-Encoding", "gzip");
    const first = pieces.next();
    const second = first.done ? first : pieces.next();
    if (second.done || req.method === "HEAD") {
      // One piece (every exposition but the largest), or HEAD: sent whole, with its length. A single
      // piece goes as it is, and its buffer takes the next scrape's exposition once nothing reads it:
      // Buffer.concat copied even one into fresh memory (at 10k rules ~1 MB, and ~2.4 ms of each scrape,
      // most of it page faults), and a fresh piece cost as much again.
      const parts = [...[first, second].flatMap((r) => (r.done ? [] : [r.value])), ...rest(pieces)];
      const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      if (body !== parts[0]) for (const part of parts) releasePiece(part);
      const sent = gzipped ? await compress(body) : body;
      trackWhole(res, options.backlog ?? PROCESS_BACKLOG, sent.length);
      send(res, 200, format.contentType, sent);
      if (sent !== body) releasePiece(body);
      else res.once("finish", () => releasePiece(body));
    } else {
      await stream(
        res,
        format.contentType,
        gzipped,
        [first.value, second.value],
        pieces,
        options.backlog ?? PROCESS_BACKLOG,
      );
    }
  } finally {
    options.inFlight.leave();
  }
}

/**
 * compress gzips a whole body: a small one (a few hundred rules) right here, which takes less than the
 * round trip through libuv's thread pool would add; a larger one on that pool.
 */
function compress(body: Buffer): Promise<Buffer> | Buffer {
  return body.length < SYNC_GZIP_BYTES ? gzipSync(body, GZIP_OPTIONS) : gzipAsync(body, GZIP_OPTIONS);
}

/** trackWhole counts a body sent in one write in the backlog until the kernel has taken all of it. */
function trackWhole(res: ServerResponse, backlog: SendBacklog, bytes: number): void {
  const ticket = backlog.track(() => res.destroy());
  ticket.queued(bytes);
  res.once("finish", () => ticket.close());
  res.once("close", () => ticket.close());
}

function* rest(pieces: Iterator<Buffer>): Generator<Buffer> {
  for (let r = pieces.next(); !r.done; r = pieces.next()) yield r.value;
}

function* chained(head: Buffer[], pieces: Iterator<Buffer>): Generator<Buffer> {
  yield* head;
  yield* rest(pieces);
}

/**
 * stream sends a large exposition with chunked encoding: each piece goes to the compressor (or the
 * socket), then the next piece is written while libuv's threads compress the last one. A client that
 * leaves the oldest queued piece untaken for STALL_MS is no longer waited for: the rest is written at
 * once, into the backlog. It stops early when the client goes away, and returns once every piece is
 * written; the response completes (or is abandoned) after that.
 */
async function stream(
  res: ServerResponse,
  contentType: string,
  gzipped: boolean,
  head: Buffer[],
  pieces: Iterator<Buffer>,
  backlog: SendBacklog,
): Promise<void> {
  res.writeHead(200, { "Content-Type": contentType });
  // An output buffer as large as a piece: zlib then compresses a piece in one trip to libuv's threads
  // (its default, 16 KiB, took a trip per 16 KiB of output, each waiting for this thread to be free).
  const sink: Writable = gzipped ? createGzip({ ...GZIP_OPTIONS, chunkSize: CHUNK_BYTES }) : res;
  if (sink !== res) {
    sink.on("error", () => res.destroy());
    sink.pipe(res);
  }
  const ticket = backlog.track(() => res.destroy());
  res.once("close", () => ticket.close());
  const gone = once(res, "close").then(() => "gone" as const);
  // Pieces written and not yet consumed by the compressor (or the socket), oldest first.
  const queued: Promise<"taken">[] = [];
  let stalled = false;
  // Pulled one at a time: each piece is written only once the previous one is on its way.
  for (const piece of chained(head, pieces)) {
    if (res.destroyed) break;
    queued.push(write(sink, piece, ticket));
    // A full queue waits for its oldest piece only. Waiting for 'drain' (the whole queue consumed) left
    // zlib, the slower side (~40 ms for the 20 MB of 100k set elements), idle while the next piece was
    // written: ~5–8 ms of such a scrape.
    if (!stalled && queued.length > MAX_QUEUED_PIECES) {
      const oldest = queued.shift() as Promise<"taken">;
      stalled = (await Promise.race([oldest, gone, delay(STALL_MS, "stalled" as const)])) === "stalled";
    } else {
      await nextTurn();
    }
  }
  sink.end();
  finished(res)
    .catch(() => undefined)
    .then(() => {
      ticket.close();
      if (sink !== res) sink.destroy();
    });
}

/** write hands one piece to the sink, counted in the backlog until the sink has consumed it. */
function write(sink: Writable, piece: Buffer, ticket: SendTicket): Promise<"taken"> {
  ticket.queued(piece.length);
  return new Promise((taken) =>
    sink.write(piece, () => {
      ticket.sent(piece.length);
      // Once consumed, the piece's buffer takes a later piece.
      releasePiece(piece);
      taken("taken");
    }),
  );
}

/** scrapeTimeoutMs follows Prometheus' X-Prometheus-Scrape-Timeout-Seconds, never beyond -read-timeout. */
export function scrapeTimeoutMs(req: IncomingMessage, readTimeoutMs: number): number {
  const header = Number(req.headers["x-prometheus-scrape-timeout-seconds"]);
  if (!Number.isFinite(header) || header <= 0) return readTimeoutMs;
  return Math.max(MIN_READ_TIMEOUT_MS, Math.min(readTimeoutMs, header * 1000 - SCRAPE_TIMEOUT_MARGIN_MS));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  send(res, status, "text/plain; charset=utf-8", `${text}\n`);
}
