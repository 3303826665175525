// A chain whose dump misses the scrape deadline: with -read.background-timeout the dump runs on, the
// scrape gets the last complete snapshot and nfprom_snapshot_age_seconds says how old it is.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accountingRuleset, Netns, parseExposition, requireRoot, startNfprom } from "./harness.js";

// The dump must take well over the shortest scrape deadline (100 ms) on any machine: the kernel re-walks the
// chain for every datagram (~N² per chain: docs/sources.md, "Split big chains"), so big rules (more datagrams) and many of them.
// 40k such rules: ~0.8 s per dump on the CI machine (2026-12), where 25k one-match rules took 75 ms.
const RULES = 40_000;
const MATCHES = "ip saddr 10.0.0.0/8 ip daddr 192.168.0.0/16 meta l4proto udp";

test("-read.background-timeout serves the last complete snapshot, with its age, when a dump is too slow", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("src-stale", { t });
  const rules = Array.from(
    { length: RULES },
    (_, i) => `${MATCHES} udp dport ${i + 1} counter comment "nft(i=${i})"`,
  );
  await ns.nft(accountingRuleset(rules, { hooks: false }));
  const nf = await startNfprom(ns, ["-read.background-timeout", "30s"]);

  const fresh = parseExposition((await nf.scrape()).body);
  assert.equal(fresh.get("nfprom_up"), 1n);
  assert.equal(fresh.get("nfprom_snapshot_age_seconds"), 0n);
  assert.equal(fresh.byName("nfprom_bytes_total").length, RULES);
  const freshSeconds = fresh.get("nfprom_scrape_duration_seconds") as number;

  // Prometheus' timeout header shortens the deadline far below one dump: the last snapshot is served.
  await new Promise((r) => setTimeout(r, 300));
  const res = await nf.scrape("/metrics", { "X-Prometheus-Scrape-Timeout-Seconds": "0.01" });
  const stale = parseExposition(res.body);
  assert.equal(res.status, 200);
  assert.equal(stale.get("nfprom_up"), 1n);
  assert.ok(
    (stale.get("nfprom_snapshot_age_seconds") as number) >= 0.3,
    `fresh scrape took ${freshSeconds} s; stale scrape:\n${res.body
      .split("\n")
      .filter((l) => /^nfprom_(up|snapshot|scrape)/.test(l))
      .join("\n")}`,
  );
  assert.equal(stale.byName("nfprom_bytes_total").length, RULES);
});
