// Core integration tests (issue 2 §8): privilege separation, checked from /proc/<pid>/status of the real
// processes — started as root, started as a non-root user holding only an ambient CAP_NET_ADMIN, and started
// with no privileges at all.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertMatchesKernel, bit, CAP, NOBODY, NOGROUP, webPid } from "./core-common.js";
import {
  accountingRuleset,
  isThisNode,
  Netns,
  NFPROM_MAIN,
  type ProcStatus,
  procStatus,
  readChainOracle,
  requireRoot,
  runNfprom,
  startNfprom,
} from "./harness.js";

const RULESET = accountingRuleset([
  'tcp dport 5001 counter packets 3 bytes 300 comment "nft(svc=a)"',
  'tcp dport 5002 counter packets 18446744073709551615 bytes 7 comment "nft(svc=b)"',
]);

const READER_CAPS = bit(CAP.NET_ADMIN) | bit(CAP.SETUID) | bit(CAP.SETGID) | bit(CAP.KILL) | bit(CAP.CHOWN);

function assertNoCapabilities(st: ProcStatus, who: string): void {
  const caps = { CapInh: st.CapInh, CapPrm: st.CapPrm, CapEff: st.CapEff, CapAmb: st.CapAmb };
  assert.deepEqual(
    caps,
    { CapInh: 0n, CapPrm: 0n, CapEff: 0n, CapAmb: 0n },
    `${who}: ${JSON.stringify(st.raw)}`,
  );
  assert.equal(st.NoNewPrivs, 1, `${who}: NoNewPrivs`);
}

async function upAndExact(ns: Netns, h: Awaited<ReturnType<typeof startNfprom>>): Promise<void> {
  const res = await h.scrape();
  assert.equal(res.status, 200);
  const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(rules);
  assertMatchesKernel(res.body, rules);
}

test("privileges as root: web process is nobody/nogroup, no groups, no capabilities, no_new_privs", async (t) => {
  if (!requireRoot(t)) return;
  assert.equal(READER_CAPS, 0x10e1n);
  const ns = await Netns.create("priv", { t });
  await ns.nft(RULESET);
  const h = await startNfprom(ns, []);
  await upAndExact(ns, h);

  const web = await webPid(h);
  const ws = procStatus(web);
  assert.ok(isThisNode(web), "the web process runs node");
  assert.deepEqual(ws.Uid, [NOBODY, NOBODY, NOBODY, NOBODY]);
  assert.deepEqual(ws.Gid, [NOGROUP, NOGROUP, NOGROUP, NOGROUP]);
  assert.deepEqual(ws.Groups, []);
  assertNoCapabilities(ws, "web");

  // The reader keeps CAP_NET_ADMIN plus what supervising needs — nothing else, and nothing inheritable.
  const rs = procStatus(h.pid);
  assert.deepEqual(rs.Uid, [0, 0, 0, 0]);
  assert.equal(rs.CapEff, READER_CAPS, `reader CapEff ${rs.raw.CapEff}`);
  assert.equal(rs.CapPrm, READER_CAPS, `reader CapPrm ${rs.raw.CapPrm}`);
  assert.equal(rs.CapInh, 0n);
  assert.equal(rs.CapAmb, 0n);

  // -u/-g are honoured (numeric ids too).
  const h2 = await startNfprom(ns, ["-u", "65533", "-g", "65532"]);
  const s2 = procStatus(await webPid(h2));
  assert.deepEqual(s2.Uid, [65533, 65533, 65533, 65533]);
  assert.deepEqual(s2.Gid, [65532, 65532, 65532, 65532]);
  assert.deepEqual(s2.Groups, []);
  assertNoCapabilities(s2, "web (-u 65533 -g 65532)");
  await upAndExact(ns, h2);
});

test("privileges: a non-root user with only an ambient CAP_NET_ADMIN works; its web process ends with none", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("ambient", { t });
  await ns.nft(RULESET);
  const h = await startNfprom(ns, [], {
    command: [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--inh-caps=+net_admin",
      "--ambient-caps=+net_admin",
      process.execPath,
      NFPROM_MAIN,
    ],
  });
  await upAndExact(ns, h);

  const rs = procStatus(h.pid);
  assert.ok(isThisNode(h.pid), "setpriv execs node: the handle's pid is the reader");
  assert.deepEqual(rs.Uid, [NOBODY, NOBODY, NOBODY, NOBODY]);
  assert.equal(rs.CapEff, bit(CAP.NET_ADMIN), `reader CapEff ${rs.raw.CapEff}`);

  const ws = procStatus(await webPid(h));
  assert.deepEqual(ws.Uid, [NOBODY, NOBODY, NOBODY, NOBODY]);
  assert.deepEqual(ws.Gid, [NOGROUP, NOGROUP, NOGROUP, NOGROUP]);
  assert.deepEqual(ws.Groups, []);
  assertNoCapabilities(ws, "web (ambient mode)");
  // Still answering after the check (the web process did not drop something it needs).
  await upAndExact(ns, h);
});

test("privileges: without root or CAP_NET_ADMIN nfprom exits 1 with a one-line reason", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("nopriv", { t });
  await ns.nft(RULESET);
  const r = await ns.exec(
    "setpriv",
    [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      NFPROM_MAIN,
      "-listen",
      "127.0.0.1:19001",
    ],
    { timeoutMs: 15_000 },
  );
  assert.equal(r.code, 1, `exit ${r.code}, stderr: ${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] as string, /CAP_NET_ADMIN/);
  assert.equal(r.stdout, "");
  // Nothing is left running (no web process was started).
  assert.deepEqual(ns.pids(), []);
});

test("privileges: -u root (by name or uid 0) is refused, unknown -u/-g too: exit 1, one line, nothing left", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("uroot", { t });
  await ns.nft(RULESET);
  for (const [args, reason] of [
    [["-u", "root"], /root/],
    [["-u", "0"], /root/],
    [["-u", "no-such-user-nfprom"], /no-such-user-nfprom/],
    [["-g", "no-such-group-nfprom"], /no-such-group-nfprom/],
  ] as const) {
    const r = await runNfprom(ns, [...args, "-listen", "127.0.0.1:19003"]);
    const what = `nfprom ${args.join(" ")}: exit ${r.code}\n${r.stderr}`;
    assert.equal(r.code, 1, what);
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, what);
    assert.match(lines[0] as string, reason, what);
    assert.deepEqual(ns.pids(), [], `nothing may be left running after ${args.join(" ")}`);
  }
});
