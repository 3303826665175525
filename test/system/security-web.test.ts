// Hostile clients against the web process, on the real kernel, each exporter in its own namespace
// (docs/security.md, rows 3, 4, 5, 10 and 11 of its table): clients that never read, password floods,
// another process of the web user reading its memory, floods of failing reads, and web config files
// that leave the endpoint open or carry values exporter-toolkit rejects.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { logLines, webPid } from "./core-common.js";
import {
  accountingRuleset,
  type Netns,
  Netns as NetnsClass,
  type NfpromHandle,
  parseExposition,
  requireRoot,
  runNfprom,
  sleep,
  startNfprom,
} from "./harness.js";
import { basicAuth, bcryptHash, burst, writeWebConfig } from "./web-fixtures.js";

/** The koffi the repository installed, for scripts run with node -e. */
const require_ = createRequire(import.meta.url).resolve;
const STALLED_JS = fileURLToPath(new URL("./stalled-clients.js", import.meta.url));

async function namespace(t: Parameters<typeof requireRoot>[0], ruleset: string): Promise<Netns> {
  const ns = await NetnsClass.create("sec", { t });
  await ns.nft(ruleset);
  return ns;
}

/** Resident memory of a process in bytes (root reads it even when the process is not dumpable). */
function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

/** A chain whose exposition is about 6.5 MB: 24,000 rules with 110-character label values, not hooked. */
function largeRuleset(): string {
  const pad = "x".repeat(100);
  const rules = Array.from({ length: 24_000 }, (_, i) => `counter comment "nft(svc=s${i}_${pad})"`);
  return accountingRuleset(rules, { hooks: false });
}

/** startStalled runs stalled-clients.js in the namespace and resolves once every request is sent. */
async function startStalled(ns: Netns, args: string[]): Promise<void> {
  const child = ns.spawn(process.execPath, [STALLED_JS, ...args]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`stalled-clients exited ${code}`)));
  });
}

/** timedScrape: one scrape and how long it took. */
async function timedScrape(
  h: NfpromHandle,
  headers?: Record<string, string>,
): Promise<{ status: number; ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await h.scrape("/metrics", headers, { timeoutMs: 15_000 });
  return { status: res.status, ms: performance.now() - t0, bytes: res.raw.length };
}

test("row 3: 60 clients that never read a 6 MB exposition cannot lock scrapes out; web memory bounded", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await namespace(t, largeRuleset());
  const h = await startNfprom(ns, [], { readyTimeoutMs: 30_000 });
  const web = await webPid(h);
  const warm = await timedScrape(h);
  assert.equal(warm.status, 200);
  assert.ok(warm.bytes >= 6_000_000, `exposition ${warm.bytes} bytes`);
  const before = rssBytes(web);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(web));
  }, 100);
  t.after(() => clearInterval(sampler));

  const attackAt = performance.now();
  await startStalled(ns, ["--port", String(h.port), "--connections", "60", "--hold-ms", "45000"]);
  // Their 60 renders (390 MB of text) take the CPU for a few seconds, as 60 scrapes that read would;
  // scrapes beyond --web.max-requests meanwhile get 503. Then the stalled clients hold no slot.
  let first = await timedScrape(h);
  while (first.status !== 200 && performance.now() - attackAt < 20_000) first = await timedScrape(h);
  const burstMs = performance.now() - attackAt;
  const scrapes = [];
  for (let i = 0; i < 5; i++) scrapes.push(await timedScrape(h));
  clearInterval(sampler);
  for (const [i, s] of scrapes.entries()) {
    assert.equal(s.status, 200, `scrape ${i}`);
    assert.ok(Math.abs(s.bytes - warm.bytes) < 4096, `scrape ${i} complete: ${s.bytes} bytes`);
    assert.ok(s.ms < 5_000, `scrape ${i} took ${s.ms.toFixed(0)} ms`);
  }
  const growth = peak - before;
  t.diagnostic(
    `unloaded ${warm.ms.toFixed(0)} ms; first 200 after ${burstMs.toFixed(0)} ms; then scrapes ${scrapes.map((s) => s.ms.toFixed(0)).join(", ")} ms; web RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB`,
  );
  // The bound (docs/security.md): the 64 MiB backlog plus what the renders in flight hold, at most
  // --web.max-requests (40) of them; concurrent scrapes that share one reply render at the same moment, so
  // their garbage peaks together (measured 181–207 MiB of growth).
  const bound = 64 * 2 ** 20 + 40 * warm.bytes;
  assert.ok(
    growth < bound,
    `web RSS grew ${(growth / 2 ** 20).toFixed(0)} MiB, bound ${(bound / 2 ** 20).toFixed(0)}`,
  );
  assert.equal(h.exitInfo(), undefined);
});

/** A small accounting chain for the tests that do not need a large exposition. */
const SMALL = accountingRuleset(['tcp dport 5001 counter comment "nft(svc=a)"'], { hooks: false });

/**
 * FLOOD: `clients` loops, each sending GETs with a wrong password back to back for `ms`, over keep-alive
 * connections; prints the status counts at the end.
 */
const FLOOD = (url: string, clients: number, ms: number) => `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: ${clients} });
const statuses = {};
const until = Date.now() + ${ms};
const auth = "Basic " + Buffer.from("alice:wrong").toString("base64");
const one = () => new Promise((resolve) => {
  const req = http.get(${JSON.stringify(url)}, { agent, headers: { Authorization: auth } }, (res) => {
    res.resume();
    res.on("end", () => { statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; resolve(); });
  });
  req.on("error", () => resolve());
});
const loop = async () => { while (Date.now() < until) await one(); };
Promise.all(Array.from({ length: ${clients} }, loop)).then(() => { console.log(JSON.stringify(statuses)); agent.destroy(); });
`;

/** PROBE: an authorised scrape every second for `ms`; prints each one's status and milliseconds. */
const PROBE = (url: string, password: string, ms: number) => `
const http = require("node:http");
const auth = "Basic " + Buffer.from("alice:${password}").toString("base64");
const out = [];
const until = Date.now() + ${ms};
const one = () => new Promise((resolve) => {
  const t0 = performance.now();
  const req = http.get(${JSON.stringify(url)}, { agent: false, headers: { Authorization: auth }, timeout: 10000 }, (res) => {
    res.resume();
    res.on("end", () => { out.push([res.statusCode, Math.round(performance.now() - t0)]); resolve(); });
  });
  req.on("timeout", () => req.destroy());
  req.on("error", () => { out.push([0, Math.round(performance.now() - t0)]); resolve(); });
});
(async () => {
  while (Date.now() < until) {
    const next = Date.now() + 1000;
    await one();
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  console.log(JSON.stringify(out));
})();
`;

test("row 4: 50 clients flooding wrong passwords for 15 s; an authorised scrape every second gets 200 in < 2 s", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await namespace(t, SMALL);
  const config = writeWebConfig(
    ns.tempDir(),
    "web.yml",
    `basic_auth_users:\n  alice: ${bcryptHash("right")}\n`,
  );
  const h = await startNfprom(ns, ["--web.config.file", config], { waitReady: false });
  await h.waitForLog(/msg=listening/, 15_000);
  const primed = await h.scrape("/metrics", basicAuth("alice", "right"), { retryUntilMs: 5_000 });
  assert.equal(primed.status, 200);
  const flood = ns.spawn(process.execPath, ["-e", FLOOD(h.metricsUrl, 50, 15_000)]);
  let floodOut = "";
  flood.stdout?.on("data", (d) => {
    floodOut += d;
  });
  const floodDone = new Promise((resolve) => flood.once("exit", resolve));
  const probe = await ns.exec(process.execPath, ["-e", PROBE(h.metricsUrl, "right", 15_000)], {
    timeoutMs: 40_000,
  });
  await floodDone;
  const scrapes = JSON.parse(probe.stdout) as [number, number][];
  const statuses = JSON.parse(floodOut) as Record<string, number>;
  t.diagnostic(
    `flood answers ${JSON.stringify(statuses)}; authorised scrapes (status, ms) ${JSON.stringify(scrapes)}`,
  );
  assert.ok(scrapes.length >= 12, `${scrapes.length} scrapes`);
  for (const [status, ms] of scrapes) {
    assert.equal(status, 200);
    assert.ok(ms < 2_000, `an authorised scrape took ${ms} ms`);
  }
  assert.ok((statuses["401"] ?? 0) > 0, "some wrong passwords were checked");
  assert.ok((statuses["429"] ?? 0) > 0, "the rest were refused without bcrypt");
  assert.equal(statuses["200"], undefined);
});

test("row 5: another process of the web user can neither read the web process's memory nor ptrace it", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await namespace(t, SMALL);
  const h = await startNfprom(ns, []);
  const web = await webPid(h);
  const uid = Number(/Uid:\s+(\d+)/.exec(readFileSync(`/proc/${web}/status`, "utf8"))?.[1]);
  const gid = Number(/Gid:\s+(\d+)/.exec(readFileSync(`/proc/${web}/status`, "utf8"))?.[1]);
  assert.notEqual(uid, 0);
  // Control: a dumpable process of the same user, whose memory the same attacker can open.
  const control = ns.spawn("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "sleep", "30"]);
  await sleep(300);
  const attack = (pid: number) => `
const fs = require("node:fs");
const koffi = require(${JSON.stringify(require_("koffi"))});
const ptrace = koffi.load("libc.so.6").func("long ptrace(long request, int pid, void *addr, void *data)");
let mem = "opened";
try { fs.closeSync(fs.openSync("/proc/${pid}/mem", "r")); } catch (e) { mem = e.code; }
const attached = ptrace(16, ${pid}, null, null);
const errno = attached === 0 ? 0 : koffi.errno();
if (attached === 0) ptrace(17, ${pid}, null, null);
console.log(JSON.stringify({ mem, ptrace: errno }));
`;
  const as = (pid: number) =>
    ns.exec("setpriv", [
      `--reuid=${uid}`,
      `--regid=${gid}`,
      "--clear-groups",
      process.execPath,
      "-e",
      attack(pid),
    ]);
  const onControl = JSON.parse((await as(control.pid as number)).stdout) as { mem: string };
  assert.equal(onControl.mem, "opened", "the attacker could read a dumpable process of its user");
  const onWeb = JSON.parse((await as(web)).stdout) as { mem: string; ptrace: number };
  assert.equal(onWeb.mem, "EACCES");
  assert.equal(onWeb.ptrace, 1, "ptrace(PTRACE_ATTACH) fails with EPERM");
  assert.match(readFileSync(`/proc/${web}/status`, "utf8"), /NoNewPrivs:\s+1/);
  const scraped = await h.scrape();
  assert.ok(
    parseExposition(scraped.body).get("process_open_fds") !== undefined,
    "its own /proc still readable",
  );
  control.kill();
});

test("row 10: failing reads and garbage requests: a few warning lines per kind, then a count, not a line each", async (t) => {
  if (!requireRoot(t)) return;
  // No table: every read fails (ENOENT), as during churn.
  const ns = await namespace(t, "");
  const h = await startNfprom(ns, []);
  for (let i = 0; i < 4; i++) await burst(ns, h.metricsUrl, 25, 10_000);
  const garbage = `const net = require("node:net"); let n = 0;
for (let i = 0; i < 100; i++) { const s = net.connect(${h.port}, "127.0.0.1", () => s.end("\\x16\\x03\\x01garbage\\r\\n\\r\\n")); s.on("error", () => {}); s.on("close", () => { if (++n === 100) console.log(n); }); }`;
  await ns.exec(process.execPath, ["-e", garbage], { timeoutMs: 20_000 });
  await sleep(500);
  for (const kind of ["read failed", "scrape without data"]) {
    const lines = logLines(h, kind);
    assert.ok(lines.length >= 1 && lines.length <= 5, `${kind}: ${lines.length} lines`);
    assert.equal(
      logLines(h, "repeated warnings: counting the rest of this interval", { kind }).length,
      1,
      kind,
    );
  }
  const warnings = h.records().filter((r) => r.level === "warn" || r.level === "error");
  assert.ok(warnings.length <= 16, `${warnings.length} warning lines:\n${h.logs().join("\n")}`);
  assert.equal(h.exitInfo(), undefined);
});

test("row 11: an open web config file warns; a value exporter-toolkit rejects is refused at start and at reload", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await namespace(t, SMALL);
  const dir = ns.tempDir();
  const listen = () => ["--web.listen-address", `127.0.0.1:${ns.freePort()}`];
  // Rejected at start, wherever the value is: a TLS block without certificate still has its values checked.
  for (const [yaml, message] of [
    [
      "tls_server_config:\n  min_version: TLS99\n",
      /tls_server_config.min_version: unknown TLS version "TLS99"/,
    ],
    [
      "tls_server_config:\n  curve_preferences: [P-256]\n",
      /tls_server_config.curve_preferences: unknown curve/,
    ],
  ] as const) {
    const path = writeWebConfig(dir, "bad.yml", yaml);
    const r = await runNfprom(ns, [...listen(), "--web.config.file", path]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  // An empty file: served, and said loudly.
  const config = join(dir, "web.yml");
  writeFileSync(config, "");
  const h = await startNfprom(ns, [...listen(), "--web.config.file", config]);
  const open = h.records().filter((r) => /enables neither TLS nor authentication/.test(r.msg ?? ""));
  assert.equal(open.length, 1);
  assert.equal(open[0]?.level, "warn");
  // Reload with a rejected value: refused, the previous configuration kept.
  writeFileSync(
    config,
    `basic_auth_users:\n  alice: ${bcryptHash("right")}\ntls_server_config:\n  max_version: TLS14\n`,
  );
  process.kill(h.pid, "SIGHUP");
  await h.waitForLog(/web config not reloaded.*max_version/, 10_000);
  assert.equal((await h.scrape()).status, 200, "still the open configuration");
  // Reload with users and no TLS: applied, and the clear-text passwords are a warning.
  writeFileSync(config, `basic_auth_users:\n  alice: ${bcryptHash("right")}\n`);
  process.kill(h.pid, "SIGHUP");
  await h.waitForLog(/basic_auth_users without TLS/, 10_000);
  await h.waitForLog(/web config applied/, 10_000);
  assert.equal((await h.scrape()).status, 401);
  assert.equal((await h.scrape("/metrics", basicAuth("alice", "right"))).status, 200);
});
