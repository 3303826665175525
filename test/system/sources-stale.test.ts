// A chain whose dump misses the scrape deadline: with -read.background-timeout the dump runs on, the
// scrape gets the last complete snapshot and nfprom_snapshot_age_seconds says how old it is.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  readChainOracle,
  requireRoot,
  startNfprom,
} from "./harness.js";

const RULES = 25_000; // ~0.2 s per dump here (design.md §3: ~N² per chain)

test("-read.background-timeout serves the last complete snapshot, with its age, when a dump is too slow", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("src-stale", { t });
  const rules = Array.from({ length: RULES }, (_, i) => `udp dport ${i + 1} counter comment "nft(i=${i})"`);
  await ns.nft(accountingRuleset(rules, { hooks: false }));
  const nf = await startNfprom(ns, ["-read.background-timeout", "30s"]);

  const fresh = parseExposition((await nf.scrape()).body);
  assert.equal(fresh.get("nfprom_up"), 1n);
  assert.equal(fresh.get("nfprom_snapshot_age_seconds"), 0n);
  assert.equal(fresh.byName("nfprom_bytes_total").length, RULES);

  // Prometheus' timeout header shortens the deadline far below one dump: the last snapshot is served.
  await new Promise((r) => setTimeout(r, 300));
  const res = await nf.scrape("/metrics", { "X-Prometheus-Scrape-Timeout-Seconds": "0.01" });
  const stale = parseExposition(res.body);
  assert.equal(res.status, 200);
  assert.equal(stale.get("nfprom_up"), 1n);
  assert.ok((stale.get("nfprom_snapshot_age_seconds") as number) >= 0.3, res.body.slice(-600));
  assert.equal(stale.byName("nfprom_bytes_total").length, RULES);
  const oracle = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.equal(oracle?.length, RULES);
});
