// Core integration tests (issue 2 §8): lifecycle of the two processes — signals stop both without orphans, the
// web process follows the reader when it dies, the reader restarts a dead web process, and a web process that
// cannot listen makes the reader exit non-zero.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertMatchesKernel, logLines, NOBODY, webPid } from "./core-common.js";
import {
  accountingRuleset,
  childrenOf,
  Netns,
  type NfpromHandle,
  processAlive,
  procStatus,
  readChainOracle,
  requireRoot,
  scrape,
  startNfprom,
  waitUntil,
} from "./harness.js";

const RULESET = accountingRuleset(['tcp dport 5001 counter packets 1 bytes 60 comment "nft(svc=a)"']);

async function assertServes(ns: Netns, h: NfpromHandle): Promise<void> {
  const res = await h.scrape();
  assert.equal(res.status, 200);
  const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(rules);
  assertMatchesKernel(res.body, rules);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`lifecycle: ${signal} to the reader stops both processes with exit 0, no orphans`, async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("sig", { t });
    await ns.nft(RULESET);
    const h = await startNfprom(ns, []);
    await assertServes(ns, h);
    const web = await webPid(h);
    assert.deepEqual(ns.pids().sort(), [h.pid, web].sort(), "only the two nfprom processes run in the netns");

    const code = await h.stop(signal, 8000);
    assert.equal(code, 0, `exit status after ${signal}\n${h.logs().join("\n")}`);
    assert.deepEqual(h.exitInfo(), { code: 0, signal: null });
    await waitUntil(() => !processAlive(web), { timeoutMs: 2000, what: `web process ${web} to be gone` });
    assert.deepEqual(ns.pids(), [], "processes left in the namespace");
    await h.closed; // nobody holds the reader's stdio any more
    assert.equal(logLines(h, "shutting down", { signal }).length, 1, h.logs().join("\n"));
  });
}

test("lifecycle: SIGKILL to the reader — the web process exits on its own (its link to the reader closes)", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("kill", { t });
  await ns.nft(RULESET);
  const h = await startNfprom(ns, []);
  const web = await webPid(h);
  await assertServes(ns, h);
  const t0 = Date.now();
  h.proc.kill("SIGKILL");
  assert.deepEqual(await h.exited, { code: null, signal: "SIGKILL" });
  await waitUntil(() => !processAlive(web), { timeoutMs: 5000, what: `orphaned web process ${web} to exit` });
  assert.ok(Date.now() - t0 < 5000);
  assert.deepEqual(ns.pids(), []);
  // Its port is free again: nothing answers.
  await assert.rejects(scrape(ns, h.metricsUrl, undefined, { timeoutMs: 2000 }));
});

test("lifecycle: the web process killed — the reader starts a new one, scrapes work again", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("restart", { t });
  await ns.nft(RULESET);
  const h = await startNfprom(ns, []);
  const first = await webPid(h);
  await assertServes(ns, h);

  process.kill(first, "SIGKILL");
  await waitUntil(
    () => {
      const kids = childrenOf(h.pid);
      return kids.length === 1 && kids[0] !== first;
    },
    { timeoutMs: 8000, what: "a new web process" },
  );
  const second = await webPid(h);
  assert.notEqual(second, first);
  assert.ok(!processAlive(first));
  assert.equal(logLines(h, "web process exited; restarting").length, 1, h.logs().join("\n"));
  // The new one is just as unprivileged and serves again (retry while it binds its port).
  await h.scrape("/metrics", undefined, { retryUntilMs: 8000 });
  await assertServes(ns, h);
  const st = procStatus(second);
  assert.deepEqual(st.Uid, [NOBODY, NOBODY, NOBODY, NOBODY]);
  assert.equal(st.CapEff, 0n);
  assert.equal(st.NoNewPrivs, 1);
  assert.ok(processAlive(h.pid));
  assert.equal(h.exitInfo(), undefined);
  assert.equal(await h.stop(), 0);
  assert.deepEqual(ns.pids(), []);
});

test("lifecycle: the web process cannot listen (port taken) — the reader exits non-zero, nothing left", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("busy", { t });
  await ns.nft(RULESET);
  const port = ns.freePort();
  const squatter = ns.spawn(process.execPath, [
    "-e",
    `require("node:net").createServer().listen(${port}, "127.0.0.1", () => console.log("up"))`,
  ]);
  await new Promise<void>((resolve, reject) => {
    squatter.stdout?.once("data", () => resolve());
    squatter.once("exit", (c) => reject(new Error(`squatter exited ${c}`)));
  });
  const h = await startNfprom(ns, ["-listen", `127.0.0.1:${port}`], { waitReady: false });
  const exit = await Promise.race([
    h.exited,
    new Promise<"hang">((r) => setTimeout(() => r("hang"), 10_000).unref()),
  ]);
  assert.notEqual(exit, "hang", `nfprom kept running with its port taken\n${h.logs().join("\n")}`);
  assert.equal(h.exitInfo()?.code, 1, h.logs().join("\n"));
  assert.equal(logLines(h, "cannot listen").length, 1, h.logs().join("\n"));
  assert.equal(logLines(h, "web process exited; restarting").length, 0, "a fatal listen error must not loop");
  assert.deepEqual(ns.pids(), [squatter.pid], "only the squatter is left in the namespace");
});
