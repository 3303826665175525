import assert from "node:assert/strict";
import { once } from "node:events";
import { type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { TEXT_FORMAT } from "../../../src/exposition/text.js";
import { BasicAuth } from "../../../src/web/auth.js";
import { InFlightLimit } from "../../../src/web/limits.js";
import { createMetricsServer } from "../../../src/web/server.js";
import { CaptureLogger } from "../helpers/logger.js";

/** An exposition of `lines` lines, rendered through the text format in pieces as the server asks. */
function exposition(lines: number): { text: string; pieces: (chunkBytes: number) => Generator<Buffer> } {
  const labels = Array.from({ length: lines }, (_, i) => `{i="${i}",who="日本"}`);
  const family = {
    name: "x_total",
    help: "h",
    type: "counter" as const,
    samples: { labels, values: labels.map((_, i) => BigInt(i) * 1_000_003n), offset: 0, stride: 1 },
  };
  const text = String(Buffer.concat([...TEXT_FORMAT.chunks([family], Number.POSITIVE_INFINITY)]));
  return { text, pieces: (chunkBytes) => TEXT_FORMAT.chunks([family], chunkBytes) };
}

async function serve(lines: number, inFlight = new InFlightLimit(0)) {
  const { text, pieces } = exposition(lines);
  const server = createMetricsServer(
    {
      headerTimeoutMs: 5000,
      readTimeoutMs: 5000,
      telemetryPath: "/metrics",
      inFlight,
      log: new CaptureLogger(),
      scrape: async (_timeout, _format, chunkBytes) => pieces(chunkBytes),
      live: async () => "{}",
    },
    () => ({ auth: new BasicAuth({}), headers: {}, rateLimit: undefined, tls: undefined }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { text, server, port: (server.address() as AddressInfo).port };
}

function get(
  port: number,
  headers: Record<string, string>,
  method = "GET",
): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/metrics", method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ res, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("a large exposition is streamed (chunked), plain and gzipped, and arrives whole", async () => {
  const { text, server, port } = await serve(150_000);
  try {
    assert.ok(text.length > 4 * 1024 * 1024, "large enough for several pieces");
    const plain = await get(port, {});
    assert.equal(plain.res.headers["transfer-encoding"], "chunked");
    assert.equal(plain.res.headers["content-length"], undefined);
    assert.equal(String(plain.body), text);
    const zipped = await get(port, { "accept-encoding": "gzip" });
    assert.equal(zipped.res.headers["content-encoding"], "gzip");
    assert.equal(String(gunzipSync(zipped.body)), text);
    const head = await get(port, { "accept-encoding": "gzip" }, "HEAD");
    assert.ok(Number(head.res.headers["content-length"]) > 0, "HEAD still says how long the body would be");
    assert.equal(head.body.length, 0);
  } finally {
    server.close();
  }
});

test("a small exposition is one piece, sent with its length", async () => {
  const { text, server, port } = await serve(10);
  try {
    const r = await get(port, {});
    assert.equal(r.res.headers["content-length"], String(Buffer.byteLength(text)));
    assert.equal(String(r.body), text);
  } finally {
    server.close();
  }
});

test("a client that goes away mid-stream frees its slot; the next scrape is served", async () => {
  const inFlight = new InFlightLimit(1);
  const { text, server, port } = await serve(200_000, inFlight);
  try {
    await new Promise<void>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/metrics" }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await get(port, {});
      if (r.res.statusCode === 200) {
        assert.equal(String(r.body), text);
        break;
      }
      assert.equal(r.res.statusCode, 503);
      assert.ok(Date.now() < deadline, "the slot was never freed");
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    server.close();
  }
});

test("pieces are pulled as they are sent, not all before the first is (memory stays bounded)", async () => {
  const { pieces } = exposition(150_000);
  let pulled = 0;
  let pulledAtFirstByte = -1;
  const server = createMetricsServer(
    {
      headerTimeoutMs: 5000,
      readTimeoutMs: 5000,
      telemetryPath: "/metrics",
      inFlight: new InFlightLimit(0),
      log: new CaptureLogger(),
      live: async () => "{}",
      scrape: async (_timeout, _format, chunkBytes) =>
        (function* counted() {
          for (const piece of pieces(chunkBytes)) {
            pulled++;
            yield piece;
          }
        })(),
    },
    () => ({ auth: new BasicAuth({}), headers: {}, rateLimit: undefined, tls: undefined }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/metrics" }, (res) => {
        res.once("data", () => {
          pulledAtFirstByte = pulled;
        });
        res.on("end", resolve);
        res.resume();
      });
      req.on("error", reject);
      req.end();
    });
    assert.ok(pulled > 4, `${pulled} pieces in all`);
    assert.ok(pulledAtFirstByte < pulled, `all ${pulled} pieces were pulled before the first was sent`);
  } finally {
    server.close();
  }
});
