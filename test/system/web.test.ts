// The web side on the real kernel, each exporter inside its own namespace: authentication and client
// certificates, content negotiation, limits and timeouts, SIGHUP reloads of --web.config.file, listen
// addresses, the landing page and the self-metrics.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  accountingRuleset,
  type Netns,
  Netns as NetnsClass,
  type NfpromHandle,
  parseExposition,
  promtoolCheck,
  requireRoot,
  runNfprom,
  ScrapeError,
  scrape,
  startNfprom,
} from "./harness.js";
import { basicAuth, bcryptHash, burst, makePki, slowClient, writeWebConfig } from "./web-fixtures.js";

const RULES = ['tcp dport 5001 counter comment "nft(svc=a)"', 'udp dport 5002 counter comment "nft(svc=b)"'];

async function namespace(t: Parameters<typeof requireRoot>[0], rules = RULES): Promise<Netns> {
  const ns = await NetnsClass.create("web", { t });
  await ns.nft(accountingRuleset(rules));
  return ns;
}

describe("TLS, client certificates and basic auth", () => {
  test("wrong password → 401 with WWW-Authenticate; no or untrusted client cert → handshake refused", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await namespace(t);
    const dir = ns.tempDir();
    const pki = await makePki(dir);
    const config = writeWebConfig(
      dir,
      "web.yml",
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\nbasic_auth_users:\n  alice: ${bcryptHash("right")}\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n`,
    );
    const { port, nf } = await startHttps(ns, config);
    const url = `https://localhost:${port}/metrics`;
    const client = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };

    const ok = await scrape(ns, url, basicAuth("alice", "right"), client);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["x-content-type-options"], "nosniff");
    assert.equal(parseExposition(ok.body).get("nfprom_up"), 1n);

    for (const [user, password] of [
      ["alice", "wrong"],
      ["mallory", "right"],
    ] as const) {
      const denied = await scrape(ns, url, basicAuth(user, password), client);
      assert.equal(denied.status, 401, `${user}:${password}`);
      assert.match(String(denied.headers["www-authenticate"]), /^Basic/);
      assert.doesNotMatch(denied.body, /nfprom_/);
    }
    const anonymous = await scrape(ns, url, undefined, client);
    assert.equal(anonymous.status, 401);

    await assert.rejects(scrape(ns, url, basicAuth("alice", "right"), { ca: pki.ca }), ScrapeError);
    await assert.rejects(
      scrape(ns, url, basicAuth("alice", "right"), {
        ca: pki.ca,
        cert: pki.strangerCert,
        key: pki.strangerKey,
      }),
      ScrapeError,
    );
    await assert.rejects(
      scrape(ns, `http://127.0.0.1:${port}/metrics`, basicAuth("alice", "right")),
      ScrapeError,
    );
    assert.equal(await nf.stop(), 0);
  });

  test("a bad web config file at start: exit 2 and a message naming the key", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await namespace(t);
    const dir = ns.tempDir();
    const cases: [string, RegExp][] = [
      [
        "tls_server_config:\n  cert_file: a.crt\n  keyfile: a.key\n",
        /tls_server_config.keyfile: unknown key/,
      ],
      [
        "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n",
        /tls_server_config.cert_file: cannot read .*nope.crt: ENOENT/,
      ],
      ["basic_auth_users:\n  alice: plaintext\n", /basic_auth_users.alice: not a bcrypt hash/],
    ];
    for (const [i, [yaml, message]] of cases.entries()) {
      const path = writeWebConfig(dir, `bad${i}.yml`, yaml);
      const r = await runNfprom(ns, [
        "--web.listen-address",
        `127.0.0.1:${ns.freePort()}`,
        "--web.config.file",
        path,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    }
  });

  test("SIGHUP: a broken file keeps the old config; a good one applies in place; HTTP↔HTTPS restarts the web process", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await namespace(t);
    const dir = ns.tempDir();
    const pki = await makePki(dir);
    const tlsPart = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
    const config = writeWebConfig(
      dir,
      "web.yml",
      `${tlsPart}basic_auth_users:\n  alice: ${bcryptHash("one")}\n`,
    );
    const { port, nf } = await startHttps(ns, config);
    const https = `https://localhost:${port}/metrics`;
    const get = (password: string, url = https) =>
      scrape(ns, url, basicAuth("alice", password), { ca: pki.ca });
    assert.equal((await get("one")).status, 200);

    const reloads = () => nf.logs().filter((l) => /web config/.test(l)).length;
    const hup = async (yaml: string, expect: RegExp) => {
      const before = reloads();
      writeFileSync(config, yaml);
      process.kill(nf.pid, "SIGHUP");
      await nf.waitForLog((_, line) => expect.test(line) && reloads() > before, 10_000);
    };

    await hup(
      `${tlsPart}basic_auth_users:\n  alice: [broken\n`,
      /web config not reloaded; keeping the previous one/,
    );
    assert.equal((await get("one")).status, 200, "still serving with the old config");

    await hup(`${tlsPart}basic_auth_users:\n  alice: ${bcryptHash("two")}\n`, /web config applied/);
    assert.equal((await get("one")).status, 401);
    assert.equal((await get("two")).status, 200);
    const webPids = () => nf.logs().filter((l) => /web process started/.test(l)).length;
    assert.equal(webPids(), 1, "applied in place, no restart");

    await hup(`basic_auth_users:\n  alice: ${bcryptHash("three")}\n`, /web config reloaded/);
    await nf.waitForLog(/msg=listening.*scheme=http /, 10_000);
    assert.equal((await get("three", `http://127.0.0.1:${port}/metrics`)).status, 200);
    assert.equal(webPids(), 2, "restarted for the switch to HTTP");
    assert.equal(await nf.stop(), 0);
  });
});

describe("HTTP behaviour", () => {
  test("negotiation, gzip, landing page, 404, 405, HEAD, several listen addresses, self-metrics, promtool", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await namespace(t);
    const port = ns.freePort();
    const nf = await startNfprom(
      ns,
      [
        "--web.listen-address",
        `127.0.0.1:${port}`,
        "--web.listen-address",
        `[::1]:${port}`,
        "--web.telemetry-path",
        "/probe",
      ],
      { readyPath: "/probe" },
    );
    const v4 = `http://127.0.0.1:${port}`;
    const text = await scrape(ns, `${v4}/probe`);
    assert.equal(text.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    const lint = await promtoolCheck(text.body);
    assert.equal(lint.code, 0, lint.output);
    const exp = parseExposition(text.body);
    for (const name of [
      "nfprom_up",
      "nfprom_scrape_duration_seconds",
      "nfprom_last_read_timestamp_seconds",
      "nfprom_dump_interrupted_total",
      "nfprom_reader_resident_memory_bytes",
      "nfprom_reader_cpu_seconds_total",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_virtual_memory_bytes",
      "process_open_fds",
      "process_max_fds",
      "process_start_time_seconds",
    ]) {
      assert.ok(exp.byName(name).length === 1, `${name} present`);
    }
    assert.equal(exp.type.get("nfprom_read_errors_total"), "counter");
    assert.equal(exp.get("nfprom_rules", { state: "exported" }), 2n);

    const om = await scrape(ns, `${v4}/probe`, { Accept: "application/openmetrics-text; version=1.0.0" });
    assert.equal(om.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
    const omExp = parseExposition(om.body);
    assert.ok(omExp.eof && om.body.endsWith("# EOF\n"));
    assert.equal(omExp.type.get("nfprom_bytes"), "counter");
    assert.deepEqual(
      omExp
        .byName("nfprom_bytes_total")
        .map((s) => s.key)
        .sort(),
      exp
        .byName("nfprom_bytes_total")
        .map((s) => s.key)
        .sort(),
    );

    const gz = await scrape(ns, `${v4}/probe`, { "Accept-Encoding": "gzip, deflate" });
    assert.equal(gz.headers["content-encoding"], "gzip");
    const unzipped = parseExposition(gunzipSync(gz.raw).toString("utf8"));
    for (const name of ["nfprom_bytes_total", "nfprom_packets_total", "nfprom_rules"]) {
      assert.deepEqual(
        unzipped.byName(name).map((s) => [s.key, s.value]),
        exp.byName(name).map((s) => [s.key, s.value]),
      );
    }
    const gzOm = await scrape(ns, `${v4}/probe`, {
      "Accept-Encoding": "gzip",
      Accept: "application/openmetrics-text",
    });
    assert.ok(gunzipSync(gzOm.raw).toString("utf8").endsWith("# EOF\n"));

    const v6 = await scrape(ns, `http://[::1]:${port}/probe`);
    assert.equal(v6.status, 200);
    const landing = await scrape(ns, `${v4}/`);
    assert.equal(landing.status, 200);
    assert.match(landing.body, /<a href="\/probe">/);
    assert.match(landing.body, /nfprom \d+\.\d+\.\d+/);
    assert.equal((await scrape(ns, `${v4}/metrics`)).status, 404);
    const notFound = await scrape(ns, `${v4}/../../etc/passwd`);
    assert.equal(notFound.status, 404);
    assert.doesNotMatch(notFound.body, /\/|at /);
    const post = await scrape(ns, `${v4}/probe`, undefined, { method: "POST", data: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
    const head = await scrape(ns, `${v4}/probe`, undefined, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.raw.length, 0);
    assert.ok(Number(head.headers["content-length"]) > 0);
    const big = await scrape(ns, `${v4}/probe`, { "X-Big": "x".repeat(20_000) });
    assert.equal(big.status, 431, "header size limit");
    assert.equal(await nf.stop(), 0);
  });

  test("50 concurrent scrapes with --web.max-requests 10: some 503, none hangs", async (t) => {
    if (!requireRoot(t)) return;
    // A chain big enough that one read takes a while, so the scrapes overlap.
    const rules = Array.from(
      { length: 5000 },
      (_, i) => `tcp dport ${10000 + i} counter comment "nft(port=p${i})"`,
    );
    const ns = await namespace(t, rules);
    const port = ns.freePort();
    const nf = await startNfprom(ns, [
      "--web.listen-address",
      `127.0.0.1:${port}`,
      "--web.max-requests",
      "10",
    ]);
    const r = await burst(ns, `http://127.0.0.1:${port}/metrics`, 50, 15_000);
    t.diagnostic(`statuses ${JSON.stringify(r.statuses)} in ${r.ms} ms`);
    assert.deepEqual(r.errors, [], "every request got an answer");
    assert.ok((r.statuses["503"] ?? 0) > 0, "some were refused");
    assert.ok((r.statuses["200"] ?? 0) >= 1, "some were served");
    assert.equal((r.statuses["200"] ?? 0) + (r.statuses["503"] ?? 0), 50);
    assert.equal(
      (await scrape(ns, `http://127.0.0.1:${port}/metrics`)).status,
      200,
      "serves again afterwards",
    );
    assert.equal(await nf.stop(), 0);
  });

  test("a client that never finishes its headers is dropped after -timeout", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await namespace(t);
    const port = ns.freePort();
    const nf = await startNfprom(ns, ["--web.listen-address", `127.0.0.1:${port}`, "-timeout", "1s"]);
    const r = await slowClient(ns, "127.0.0.1", port, 10_000);
    t.diagnostic(`closed after ${r.closedAfterMs} ms`);
    assert.ok(r.closedAfterMs >= 900 && r.closedAfterMs < 3_000, `closed after ${r.closedAfterMs} ms`);
    assert.doesNotMatch(r.response, /nfprom_/);
    assert.equal((await scrape(ns, `http://127.0.0.1:${port}/metrics`)).status, 200);
    assert.equal(await nf.stop(), 0);
  });

  test("--log.format json: every log line is a JSON object with ts, level, component, msg", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await namespace(t);
    const nf = await startNfprom(ns, ["--log.format", "json"]);
    await scrape(ns, nf.metricsUrl);
    assert.equal(await nf.stop(), 0);
    const lines = nf.logs().filter((l) => l !== "");
    assert.ok(lines.length >= 3);
    for (const line of lines) {
      const rec = JSON.parse(line) as Record<string, unknown>;
      assert.ok(rec.ts && rec.level && rec.component && rec.msg, line);
    }
  });
});

/** startHttps starts nfprom with a web config that enables TLS and waits until it listens over HTTPS. */
async function startHttps(ns: Netns, config: string): Promise<{ port: number; nf: NfpromHandle }> {
  const port = ns.freePort();
  const args = ["--web.listen-address", `127.0.0.1:${port}`, "--web.config.file", config];
  const nf = await startNfprom(ns, args, { waitReady: false });
  await nf.waitForLog(/msg=listening.*scheme=https/, 15_000);
  return { port, nf };
}
