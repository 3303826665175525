// The privilege boundary (docs/security.md): a compromised web process writes hostile bytes to its link to
// the reader. The reader is the real one (root, in a namespace); its web process is the real one too, run
// as nobody, with test/system/hostile-web.ts in front of it in a copy of the build, which plays each attack
// on a signal. Each attack must leave the reader up (same pid) with bounded memory, get the web process
// killed and restarted, and scrapes must then match the kernel again.
import assert from "node:assert/strict";
import { copyFileSync, cpSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertMatchesKernel, logLines, NOBODY, webPid } from "./core-common.js";
import {
  accountingRuleset,
  isRoot,
  Netns,
  processAlive,
  procStatus,
  REPO_ROOT,
  readChainOracle,
  requireRoot,
  sendTraffic,
  startNfprom,
} from "./harness.js";

const RULESET = accountingRuleset([
  'tcp dport 5001 counter comment "nft(svc=a)"',
  'udp dport 5002 counter comment "nft(svc=b)"',
]);
/** How much the reader's peak resident memory may exceed its resident memory before the attack. */
const MAX_GROWTH_KB = 50 * 1024;

/** A copy of dist/src whose web/main.js is the hostile wrapper around the real one. */
function hostileBuild(ns: Netns): string {
  const root = ns.tempDir();
  cpSync(join(REPO_ROOT, "dist/src"), join(root, "dist/src"), { recursive: true });
  copyFileSync(join(REPO_ROOT, "package.json"), join(root, "package.json"));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"));
  const web = join(root, "dist/src/web");
  renameSync(join(web, "main.js"), join(web, "main-real.js"));
  copyFileSync(join(REPO_ROOT, "dist/test/system/hostile-web.js"), join(web, "main.js"));
  return web;
}

// One namespace for the file (created here so that its cleanup belongs to the file, not to a hook).
const ns = isRoot() ? await Netns.create("boundary") : undefined;
const build = ns ? hostileBuild(ns) : "";
if (ns) {
  await ns.nft(RULESET);
  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: 5001, bytes: 3000 });
}

/** VmRSS / VmHWM of a process, in kB. */
function memoryKb(pid: number): { rss: number; hwm: number } {
  const st = procStatus(pid).raw;
  return { rss: Number.parseInt(st.VmRSS ?? "", 10), hwm: Number.parseInt(st.VmHWM ?? "", 10) };
}

const ATTACKS: [name: string, what: string, reason: RegExp][] = [
  ["ipc-bytes", "the 8 bytes 80000000ff0f4902", /frame of 2147483648 bytes announced, the limit is 64/],
  ["node-handle-ack", "Node's NODE_HANDLE_ACK message", /frame of \d+ bytes announced|request of \d+ bytes/],
  ["deep-nesting", "a 200,000-deep nested array", /frame of 400000 bytes announced/],
  ["huge-frame", "1 GiB announced, 400 MB sent", /frame of 1073741824 bytes announced/],
  ["read-flood", "40,000 valid read requests at once", /more than 4 reads pending/],
  ["garbage", "64 KiB of random bytes", /announced|request/],
];

for (const [attack, what, reason] of ATTACKS) {
  test(`boundary: ${what} — the reader kills and restarts the web process, stays up, memory bounded`, async (t) => {
    if (!requireRoot(t) || !ns) return;
    const h = await startNfprom(ns, [], { command: [process.execPath, join(build, "../cli/main.js")] });
    t.after(() => h.stop("SIGKILL").catch(() => {}));
    const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
    assert.ok(rules);
    assertMatchesKernel((await h.scrape()).body, rules);
    const web = await webPid(h);
    assert.equal(procStatus(web).Uid[0], NOBODY, "the attacker runs as nobody");

    writeFileSync(join(build, "attack"), attack, { mode: 0o644 });
    writeFileSync(`/proc/${h.pid}/clear_refs`, "5"); // VmHWM := VmRSS: the peak from here on
    const before = memoryKb(h.pid);
    process.kill(web, "SIGUSR2");
    const line = await h.waitForLog(
      (r) => r.msg === "the web process broke the protocol; killing it",
      10_000,
    );
    assert.match(line, reason);
    // The reader starts the next one only once the hostile one has exited (after the backoff, 0.5 s).
    await h.waitForLog((r) => r.msg === "web process started" && r.pid !== String(web), 5000);
    assert.ok(!processAlive(web), `hostile web process ${web} gone`);
    assert.ok(processAlive(h.pid), "the reader is alive");
    assert.equal(h.exitInfo(), undefined, "the reader has not exited");
    const after = memoryKb(h.pid);
    t.diagnostic(`reader VmRSS ${before.rss} kB before, peak ${after.hwm} kB during, ${after.rss} kB after`);
    assert.ok(after.hwm - before.rss < MAX_GROWTH_KB, `reader peak ${after.hwm} kB, was ${before.rss} kB`);
    assert.equal(
      logLines(h, "the web process broke the protocol; killing it").length,
      1,
      h.logs().join("\n"),
    );
    assert.equal(logLines(h, "web process exited; restarting", { signal: "SIGKILL" }).length, 1);

    await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: 5002, bytes: 2400 });
    const res = await h.scrape("/metrics", undefined, { retryUntilMs: 8000 });
    assert.equal(res.status, 200);
    const now = await readChainOracle(ns, "inet", "firewall", "accounting");
    assert.ok(now);
    assertMatchesKernel(res.body, now);
    assert.notEqual(await webPid(h), web);
    assert.equal(await h.stop(), 0);
  });
}
