import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect as connectTls } from "node:tls";
import { TEXT_FORMAT } from "../../../src/exposition/text.js";
import { BasicAuth } from "../../../src/web/auth.js";
import { InFlightLimit } from "../../../src/web/limits.js";
import { createMetricsServer } from "../../../src/web/server.js";
import type { TlsMaterial } from "../../../src/web/tls.js";
import { CaptureLogger } from "../helpers/logger.js";

const HEADER_TIMEOUT_MS = 300;
const KEEP_ALIVE_MS = 5_000;
const HEAD = "GET /metrics HTTP/1.1\r\nHost: x\r\n";

async function serve(
  opts: { scrapeDelayMs?: number; tls?: TlsMaterial; readTimeoutMs?: number; series?: number } = {},
) {
  const family = {
    name: "x_total",
    help: "h",
    type: "counter" as const,
    samples: Array.from({ length: opts.series ?? 1 }, (_, i) => ({
      labels: i ? `{i="${i}"}` : "",
      value: 1n,
    })),
  };
  const server = createMetricsServer(
    {
      headerTimeoutMs: HEADER_TIMEOUT_MS,
      readTimeoutMs: opts.readTimeoutMs ?? 10_000,
      telemetryPath: "/metrics",
      inFlight: new InFlightLimit(0),
      log: new CaptureLogger(),
      scrape: async (_timeout, _format, chunkBytes) => {
        await sleep(opts.scrapeDelayMs ?? 0);
        return TEXT_FORMAT.chunks([family], chunkBytes);
      },
      live: async () => "{}",
    },
    () => ({ auth: new BasicAuth({}), headers: {}, rateLimit: undefined, tls: opts.tls }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { server, port };
}

/** Collects what the server sends and resolves `closed` with the time from `since()` to the close. */
function watch(socket: Socket) {
  let received = "";
  let mark = Date.now();
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    received += d;
  });
  socket.on("error", () => {});
  const closed = once(socket, "close").then(() => Date.now() - mark);
  return {
    closed,
    received: () => received,
    restart: () => {
      mark = Date.now();
    },
  };
}

async function responseOf(w: ReturnType<typeof watch>): Promise<string> {
  const giveUpAt = Date.now() + 5_000;
  while (!/\nx_total 1\n/.test(w.received())) {
    if (Date.now() > giveUpAt) throw new Error(`no whole response: ${JSON.stringify(w.received())}`);
    await sleep(10);
  }
  return w.received();
}

test("a client that never finishes its request head is dropped after the header timeout", {
  timeout: 20_000,
}, async () => {
  const { server, port } = await serve();
  try {
    const socket = connectTcp(port, "127.0.0.1", () => socket.write(HEAD));
    const w = watch(socket);
    const ms = await w.closed;
    assert.ok(ms >= HEADER_TIMEOUT_MS - 20 && ms < HEADER_TIMEOUT_MS + 1_500, `closed after ${ms} ms`);
    assert.equal(w.received(), "");
  } finally {
    server.close();
  }
});

test("a scrape slower than the header timeout is answered, and the connection serves the next one", {
  timeout: 20_000,
}, async () => {
  const { server, port } = await serve({ scrapeDelayMs: 3 * HEADER_TIMEOUT_MS });
  try {
    const socket = connectTcp(port, "127.0.0.1", () => socket.write(`${HEAD}\r\n`));
    const w = watch(socket);
    assert.match(await responseOf(w), /^HTTP\/1\.1 200/);
    socket.write(`${HEAD}\r\n`);
    await sleep(4 * HEADER_TIMEOUT_MS);
    assert.equal(w.received().match(/HTTP\/1\.1 200/g)?.length, 2, "second scrape on the same connection");
    socket.destroy();
  } finally {
    server.close();
  }
});

test("on a kept-alive connection, a next request dribbled byte by byte is dropped", {
  timeout: 20_000,
}, async () => {
  const { server, port } = await serve();
  try {
    const socket = connectTcp(port, "127.0.0.1", () => socket.write(`${HEAD}\r\n`));
    const w = watch(socket);
    await responseOf(w);
    w.restart();
    const dribble = setInterval(() => socket.writable && socket.write("X"), 100);
    socket.write("GET /metrics HTTP/1.1\r\nX-Slow: ");
    const ms = await w.closed;
    clearInterval(dribble);
    const bound = KEEP_ALIVE_MS + HEADER_TIMEOUT_MS;
    assert.ok(ms >= bound - 50 && ms < bound + 2_000, `closed ${ms} ms after the first response`);
  } finally {
    server.close();
  }
});

test("over TLS, a client that completes the handshake and never finishes its request head is dropped", {
  timeout: 20_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "nfprom-tls-"));
  try {
    const key = join(dir, "k.pem");
    const cert = join(dir, "c.pem");
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
        ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
      ],
      { stdio: "ignore" },
    );
    const tls: TlsMaterial = {
      cert: readFileSync(cert, "utf8"),
      key: readFileSync(key, "utf8"),
      clientCa: undefined,
      clientAuth: "NoClientCert",
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
      ciphers: undefined,
      curves: undefined,
      honorCipherOrder: false,
      clientAllowedSans: undefined,
    };
    const { server, port } = await serve({ tls });
    try {
      const socket = connectTls({ port, host: "127.0.0.1", rejectUnauthorized: false });
      await once(socket, "secureConnect");
      const w = watch(socket);
      socket.write(HEAD);
      const ms = await w.closed;
      assert.ok(ms < HEADER_TIMEOUT_MS + 1_500, `closed after ${ms} ms`);
      assert.equal(w.received(), "");
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * unreadLargeAnswer asks for a large answer (~8 MB uncompressed: more than the kernel's buffers take, so
 * it stays unsent) on a client that never reads it and, with `dribble`, keeps sending a second request
 * head a byte at a time. Returns when the server closed the connection, in ms (Infinity: not within
 * three idle periods), and the idle period.
 */
async function unreadLargeAnswer(dribble: boolean): Promise<{ ms: number; idleMs: number }> {
  const readTimeoutMs = 100;
  const idleMs = readTimeoutMs + 5_000;
  const { server, port } = await serve({ readTimeoutMs, series: 400_000 });
  try {
    // A paused client learns of the close only when it reads or writes: watch the server's side.
    const serverSide = once(server, "connection").then(([s]) => once(s as Socket, "close"));
    const socket = connectTcp(port, "127.0.0.1");
    socket.on("error", () => {});
    await once(socket, "connect");
    socket.pause();
    const start = Date.now();
    socket.write(dribble ? `${HEAD}\r\nGET /metrics HTTP/1.1\r\nX-Slow: ` : `${HEAD}\r\n`);
    const sender = dribble ? setInterval(() => socket.writable && socket.write("y"), 500) : undefined;
    const ms = await Promise.race([
      serverSide.then(() => Date.now() - start),
      sleep(3 * idleMs).then(() => Number.POSITIVE_INFINITY),
    ]);
    clearInterval(sender);
    socket.destroy();
    return { ms, idleMs };
  } finally {
    server.close();
  }
}

test("a client that stops reading a large answer, and sends nothing, is dropped within two idle periods", {
  timeout: 30_000,
}, async () => {
  const { ms, idleMs } = await unreadLargeAnswer(false);
  assert.ok(ms > idleMs - 500 && ms < 2 * idleMs + 2_000, `closed after ${ms} ms`);
});

test("a client that keeps sending but never reads a large answer is dropped within two idle periods", {
  timeout: 30_000,
}, async () => {
  // Each byte of the dribbled second head would restart a socket idle timeout.
  const { ms, idleMs } = await unreadLargeAnswer(true);
  assert.ok(ms > idleMs - 500 && ms < 2 * idleMs + 2_000, `closed after ${ms} ms`);
});

test("an answered connection has no socket timeout of Node's, whose cleared timer would wake the process", {
  timeout: 20_000,
}, async () => {
  // Node's socket timeouts are unreferenced timers: once cleared (the client closing first) their list
  // stays queued, and the process wakes for it seconds after the scrape (src/timers.ts).
  const { server, port } = await serve();
  try {
    const serverSide = once(server, "connection").then(([s]) => s as Socket);
    const socket = connectTcp(port, "127.0.0.1", () => socket.write(`${HEAD}\r\n`));
    const w = watch(socket);
    assert.match(await responseOf(w), /\r\nKeep-Alive: timeout=5\r\n/);
    await sleep(50);
    assert.equal((await serverSide).timeout ?? 0, 0, "socket timeout after the answer (ms)");
    socket.destroy();
  } finally {
    server.close();
  }
});
