// Hostile clients against the web process, on the real kernel, each exporter in its own namespace
// (docs/security.md, rows 3, 4, 5, 10 and 11 of its table): clients that never read, password floods,
// another process of the web user reading its memory, floods of failing reads, and web config files
// that leave the endpoint open or carry values exporter-toolkit rejects.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
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
import { basicAuth, bcryptHash, writeWebConfig } from "./web-fixtures.js";

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
  // The bound (docs/security.md): the 64 MiB backlog plus the renders in flight and their garbage.
  assert.ok(growth < 160 * 2 ** 20, `web RSS grew ${(growth / 2 ** 20).toFixed(0)} MiB`);
  assert.equal(h.exitInfo(), undefined);
});
