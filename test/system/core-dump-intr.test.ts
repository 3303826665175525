// Core integration test (issue 2 §8): a ruleset change during a dump. A chain of 5000 rules with distinct
// comments and preset counters; inside the namespace `nft -i` commits a rule insert at the head of the chain and
// its delete, in bursts, while we scrape repeatedly. A dump of 5000 rules spans ~90 datagrams, and the kernel
// restarts the walk of the chain from its head for each one, so a change between datagrams would duplicate or
// skip rules. Every scrape must be exactly a chain that existed (5000 rules, or 5000 + the inserted one),
// fresh or (while no whole read fits the deadline) the last complete one, aged; never nfprom_up 0 once a
// read succeeded; nfprom_dump_interrupted_total must become > 0.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertMatchesKernel, num, ruleCounts } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  readChainOracle,
  requireRoot,
  sleep,
  startNfprom,
  waitUntil,
} from "./harness.js";

const N = 5000;
/** Scrape during the churn until both outcomes were seen (at least MIN_SCRAPES), for at most MAX_CHURN_MS. */
const MIN_SCRAPES = 10;
const MAX_CHURN_MS = 15_000;

// Bursts of 10 insert+delete pairs (~20 commits in ~40 ms: `nft -i` commits every line), separated by pauses
// that alternate between short (30 ms: most dumps overlap a burst) and long (400 ms: dumps can run undisturbed).
const CHURN_SH = `
h=$1; stop=$2; n=0
while [ ! -e "$stop" ]; do
  for k in 1 2 3 4 5 6 7 8 9 10; do
    echo 'insert rule inet firewall accounting counter comment "nft(i=extra)"'
    echo "delete rule inet firewall accounting handle $h"
    h=$((h+1))
  done
  n=$((n+1))
  if [ $((n % 2)) -eq 0 ]; then sleep 0.4; else sleep 0.03; fi
done | nft -i
`;

test("dump interrupted: every scrape is a chain that existed, fresh or the last complete one", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("intr", { t });
  const rules: string[] = [];
  for (let i = 0; i < N; i++) {
    rules.push(`tcp dport ${i + 1} counter packets 1 bytes ${i} comment "nft(i=${i})"`);
  }
  await ns.nft(accountingRuleset(rules, { hooks: false }));
  const oracle = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.equal(oracle?.length, N);
  // Handles come from one counter per table: the first inserted rule gets the highest handle + 1.
  let nextHandle = 1n;
  for (const r of oracle ?? []) if (r.handle >= nextHandle) nextHandle = r.handle + 1n;

  const h = await startNfprom(ns, ["-read-timeout", "5s"], { readyTimeoutMs: 20_000 });
  const dir = ns.tempDir();
  const stopFile = join(dir, "stop");
  const script = join(dir, "churn.sh");
  writeFileSync(script, CHURN_SH);
  const churn = ns.spawn("sh", [script, String(nextHandle), stopFile]);
  let churnErr = "";
  churn.stderr?.on("data", (c: Buffer) => {
    churnErr += c;
  });
  churn.stdout?.on("data", (c: Buffer) => {
    churnErr += c; // nft -i prints errors on stdout
  });
  const churnExit = new Promise<number | null>((resolve) => churn.once("exit", (c) => resolve(c)));

  const extra = 'nfprom_packets_total{i="extra"}';
  let consistent = 0;
  let withExtra = 0;
  let stale = 0;
  let lastIntrErrors = 0;
  let lastIntrTotal = 0;
  const until = Date.now() + MAX_CHURN_MS;
  const enough = () => consistent >= MIN_SCRAPES && lastIntrTotal > 0;
  try {
    while (!enough() && Date.now() < until) {
      const res = await h.scrape();
      assert.equal(res.status, 200);
      const e = parseExposition(res.body);
      assert.deepEqual(e.duplicates, []);
      const unproven = ["dump_intr", "ruleset_changed"];
      const intrErrors = e
        .byName("nfprom_read_errors_total")
        .filter((s) => unproven.includes(s.labels.reason as string))
        .reduce((sum, s) => sum + num(s.value), 0);
      const intrTotal = num(e.get("nfprom_dump_interrupted_total"));
      assert.ok(intrTotal >= lastIntrTotal && intrErrors >= lastIntrErrors, "counters must not go down");
      const otherErrors = e
        .byName("nfprom_read_errors_total")
        .filter((s) => !unproven.includes(s.labels.reason as string) && s.value !== 0n);
      assert.deepEqual(
        otherErrors.map((s) => s.key),
        [],
        "no read error other than an unprovable read may happen",
      );
      assert.equal(e.get("nfprom_up"), 1n, "a complete snapshot exists: nfprom_up must stay 1");
      {
        // A complete chain: i=0..N-1 each exactly once (packets 1, bytes i), plus at most the inserted rule.
        const packets = e.byName("nfprom_packets_total");
        const bytes = new Map(e.byName("nfprom_bytes_total").map((s) => [s.labels.i, s.value]));
        const hasExtra = res.body.includes(`${extra} 0\n`);
        assert.equal(packets.length, N + (hasExtra ? 1 : 0), "series count is not one the chain had");
        for (const s of packets) {
          const i = s.labels.i as string;
          if (i === "extra") continue;
          assert.equal(s.value, 1n, `rule i=${i} counted ${String(s.value)} times: torn dump`);
          assert.equal(bytes.get(i), BigInt(i), `bytes of i=${i}`);
        }
        for (let i = 0; i < N; i++) assert.ok(bytes.has(String(i)), `rule i=${i} missing: torn dump`);
        assert.deepEqual(ruleCounts(e), { exported: N + (hasExtra ? 1 : 0), ignored: 0, rejected: 0 });
        consistent++;
        if (hasExtra) withExtra++;
        if (num(e.get("nfprom_snapshot_age_seconds") ?? 0n) > 0) stale++;
      }
      lastIntrErrors = intrErrors;
      lastIntrTotal = intrTotal;
    }
  } finally {
    writeFileSync(stopFile, "");
  }
  assert.equal(await churnExit, 0, `churn loop failed: ${churnErr}`);
  assert.ok(existsSync(stopFile));
  assert.doesNotMatch(churnErr, /Error/i, "an nft command of the churn loop failed (handles out of step?)");

  const summary = `consistent=${consistent} (with the inserted rule: ${withExtra}) stale=${stale} dump_interrupted_total=${lastIntrTotal}`;
  t.diagnostic(summary);
  assert.ok(lastIntrTotal > 0, `the kernel never flagged NLM_F_DUMP_INTR during the churn: ${summary}`);
  assert.ok(consistent > 0, `no scrape succeeded during the churn: ${summary}`);

  // Quiet again: exact match with the kernel, and reads succeed at the first attempt.
  await sleep(50);
  await waitUntil(async () => (await h.scrape()).body.includes("nfprom_up 1\n"), {
    what: "up 1 after the churn",
  });
  const final = await h.scrape();
  const after = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.equal(after?.length, N, "the churn loop left rules behind");
  assertMatchesKernel(final.body, after ?? []);
});
