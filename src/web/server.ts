import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { TEXT_CONTENT_TYPE } from "../exposition/text.js";
import type { Logger } from "../log.js";
import { VERSION } from "../version.js";

export const METRICS_PATH = "/metrics";
/** Leave Prometheus this much of its scrape timeout to receive and parse the answer. */
const SCRAPE_TIMEOUT_MARGIN_MS = 250;
const MIN_READ_TIMEOUT_MS = 100;

export interface ServerOptions {
  headerTimeoutMs: number;
  readTimeoutMs: number;
  /** Produces one exposition; must never reject (a failed read is rendered as nfprom_up 0). */
  scrape: (timeoutMs: number) => Promise<string>;
  log: Logger;
}

/**
 * createMetricsServer serves GET/HEAD on / (landing page) and /metrics. Slow clients are cut off after
 * headerTimeoutMs; error bodies are one plain line, never a stack trace or a path.
 */
export function createMetricsServer(options: ServerOptions): Server {
  const server = createServer(
    {
      headersTimeout: options.headerTimeoutMs,
      requestTimeout: options.headerTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s): check often enough to honour them.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, options.headerTimeoutMs / 2)),
      keepAliveTimeout: 5_000,
      maxHeaderSize: 8 * 1024,
    },
    (req, res) => {
      handle(req, res, options).catch((err: unknown) => {
        options.log.error("request failed", { err: (err as Error).message });
        if (!res.headersSent) plain(res, 500, "internal error");
        else res.destroy();
      });
    },
  );
  server.maxRequestsPerSocket = 1000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    plain(res, 405, "method not allowed");
    return;
  }
  const path = (req.url ?? "/").split("?", 1)[0];
  if (path === METRICS_PATH) {
    const body = await options.scrape(scrapeTimeoutMs(req, options.readTimeoutMs));
    send(res, 200, TEXT_CONTENT_TYPE, body);
  } else if (path === "/") {
    send(res, 200, "text/html; charset=utf-8", landingPage());
  } else {
    plain(res, 404, "not found");
  }
}

/** scrapeTimeoutMs follows Prometheus' X-Prometheus-Scrape-Timeout-Seconds, never beyond -read-timeout. */
export function scrapeTimeoutMs(req: IncomingMessage, readTimeoutMs: number): number {
  const header = Number(req.headers["x-prometheus-scrape-timeout-seconds"]);
  if (!Number.isFinite(header) || header <= 0) return readTimeoutMs;
  return Math.max(MIN_READ_TIMEOUT_MS, Math.min(readTimeoutMs, header * 1000 - SCRAPE_TIMEOUT_MARGIN_MS));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function plain(res: ServerResponse, status: number, text: string): void {
  send(res, status, "text/plain; charset=utf-8", `${text}\n`);
}

function landingPage(): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>nfprom</title></head>
<body><h1>nfprom ${VERSION}</h1>
<p>Prometheus exporter for nftables accounting counters.</p>
<p><a href="${METRICS_PATH}">Metrics</a></p>
</body></html>
`;
}
