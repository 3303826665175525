// Core integration tests (issue 2 §8): the ruleset changing under a running exporter — missing table or chain,
// the table deleted and recreated, rules deleted, added and replaced. Each scrape is compared with the kernel.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertMatchesKernel, num, ruleLines, webPid } from "./core-common.js";
import {
  accountingRuleset,
  type Exposition,
  Netns,
  type NfpromHandle,
  parseExposition,
  processAlive,
  readChainOracle,
  requireRoot,
  startNfprom,
} from "./harness.js";

async function scrapeDown(h: NfpromHandle): Promise<Exposition> {
  const res = await h.scrape();
  assert.equal(res.status, 200, "a failed read still answers HTTP 200");
  const e = parseExposition(res.body);
  assert.equal(e.get("nfprom_up"), 0n, res.body);
  assert.deepEqual(ruleLines(res.body), [], "no rule series when the read failed");
  return e;
}

async function scrapeUp(ns: Netns, h: NfpromHandle): Promise<string> {
  const res = await h.scrape();
  assert.equal(res.status, 200);
  const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(rules, "chain missing");
  assertMatchesKernel(res.body, rules);
  return res.body;
}

test("runtime: missing table or chain — up 0, reason no_table, process stays alive, HTTP 200", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("missing", { t });
  const hAll = await startNfprom(ns, []);
  const hInet = await startNfprom(ns, ["-family", "inet"]);
  for (const h of [hAll, hInet]) {
    const web = await webPid(h);
    let last = -1;
    for (let i = 0; i < 3; i++) {
      const e = await scrapeDown(h);
      const n = num(e.get("nfprom_read_errors_total", { reason: "no_table" }));
      assert.ok(n > last, `no_table errors must count every failed read: ${last} -> ${n}`);
      last = n;
    }
    assert.ok(processAlive(h.pid) && processAlive(web), "reader and web process stay alive");
    assert.equal(h.exitInfo(), undefined);
  }
  // The table exists but the chain does not: the same.
  await ns.nft("table inet firewall {\n  chain other {\n  }\n}\n");
  await scrapeDown(hAll);
  await scrapeDown(hInet);
  // The chain appears: up 1 without a restart.
  await ns.nft(
    accountingRuleset(['tcp dport 1 counter packets 2 bytes 3 comment "nft(svc=late)"'], { hooks: false }),
  );
  for (const h of [hAll, hInet]) {
    const body = await scrapeUp(ns, h);
    assert.deepEqual(ruleLines(body), [
      'nfprom_bytes_total{svc="late"} 3',
      'nfprom_packets_total{svc="late"} 2',
    ]);
  }
});

test("runtime: table deleted and recreated while running — up goes 0 then 1 with the new values", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("recreate", { t });
  await ns.nft(
    accountingRuleset(['tcp dport 1 counter packets 5 bytes 50 comment "nft(svc=a)"'], { hooks: false }),
  );
  const h = await startNfprom(ns, []);
  const web = await webPid(h);
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)), [
    'nfprom_bytes_total{svc="a"} 50',
    'nfprom_packets_total{svc="a"} 5',
  ]);

  await ns.nftCmd(["delete", "table", "inet", "firewall"]);
  const down = await scrapeDown(h);
  assert.ok(num(down.get("nfprom_read_errors_total", { reason: "no_table" })) >= 1);

  await ns.nft(
    accountingRuleset(
      [
        'tcp dport 1 counter packets 9 bytes 90 comment "nft(svc=a)"',
        'tcp dport 2 counter packets 18446744073709551615 bytes 1 comment "nft(svc=b)"',
      ],
      { hooks: false },
    ),
  );
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)), [
    'nfprom_bytes_total{svc="a"} 90',
    'nfprom_bytes_total{svc="b"} 1',
    'nfprom_packets_total{svc="a"} 9',
    'nfprom_packets_total{svc="b"} 18446744073709551615',
  ]);
  assert.ok(processAlive(web), "the same web process served throughout");
});

test("runtime: a deleted rule's series disappears from the next scrape; added/replaced rules appear", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("delrule", { t });
  await ns.nft(
    accountingRuleset(
      [
        'tcp dport 1 counter packets 1 bytes 10 comment "nft(svc=a)"',
        'tcp dport 2 counter packets 2 bytes 20 comment "nft(svc=b;only_b=yes)"',
        'tcp dport 3 counter packets 3 bytes 30 comment "nft(svc=c)"',
      ],
      { hooks: false },
    ),
  );
  const h = await startNfprom(ns, []);
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)), [
    'nfprom_bytes_total{only_b="",svc="a"} 10',
    'nfprom_bytes_total{only_b="",svc="c"} 30',
    'nfprom_bytes_total{only_b="yes",svc="b"} 20',
    'nfprom_packets_total{only_b="",svc="a"} 1',
    'nfprom_packets_total{only_b="",svc="c"} 3',
    'nfprom_packets_total{only_b="yes",svc="b"} 2',
  ]);
  const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
  const b = rules?.find((r) => r.comment === "nft(svc=b;only_b=yes)");
  const c = rules?.find((r) => r.comment === "nft(svc=c)");
  assert.ok(b && c);

  // Deleting b also removes its key from the label union.
  await ns.nftCmd(["delete", "rule", "inet", "firewall", "accounting", "handle", String(b.handle)]);
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)), [
    'nfprom_bytes_total{svc="a"} 10',
    'nfprom_bytes_total{svc="c"} 30',
    'nfprom_packets_total{svc="a"} 1',
    'nfprom_packets_total{svc="c"} 3',
  ]);

  await ns.replaceAccountingRule(c.handle, 'tcp dport 3 counter packets 7 bytes 70 comment "nft(svc=c2)"');
  await ns.nftCmd(["add", "rule", "inet", "firewall", "accounting", "counter", "comment", '"nft(svc=d)"']);
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)), [
    'nfprom_bytes_total{svc="a"} 10',
    'nfprom_bytes_total{svc="c2"} 70',
    'nfprom_bytes_total{svc="d"} 0',
    'nfprom_packets_total{svc="a"} 1',
    'nfprom_packets_total{svc="c2"} 7',
    'nfprom_packets_total{svc="d"} 0',
  ]);
});

// The reader takes a rule over from its last read when the message carries the same ruleset generation,
// length and handle (src/nftables/rule-reuse.ts). A rule replaced in place keeps its handle and, with a
// comment of the same length, its message length: only the kernel's generation stamp tells them apart.
test("runtime: a rule replaced in place by one of the same size (same handle) shows at the next scrape", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("samesize", { t });
  await ns.nft(
    accountingRuleset(
      [
        'tcp dport 1 counter packets 1 bytes 10 comment "nft(svc=a)"',
        'tcp dport 2 counter packets 2 bytes 20 comment "nft(svc=b)"',
      ],
      { hooks: false },
    ),
  );
  const h = await startNfprom(ns, []);
  const before = ['nfprom_bytes_total{svc="a"} 10', 'nfprom_bytes_total{svc="b"} 20'];
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)).slice(0, 2), before);
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)).slice(0, 2), before, "a second read, nothing changed");
  const b = (await readChainOracle(ns, "inet", "firewall", "accounting"))?.find(
    (r) => r.comment === "nft(svc=b)",
  );
  assert.ok(b);

  await ns.replaceAccountingRule(b.handle, 'tcp dport 2 counter packets 2 bytes 20 comment "nft(svc=x)"');
  const after = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.equal(after?.find((r) => r.comment === "nft(svc=x)")?.handle, b.handle, "replaced in place");
  assert.deepEqual(ruleLines(await scrapeUp(ns, h)), [
    'nfprom_bytes_total{svc="a"} 10',
    'nfprom_bytes_total{svc="x"} 20',
    'nfprom_packets_total{svc="a"} 1',
    'nfprom_packets_total{svc="x"} 2',
  ]);
});
