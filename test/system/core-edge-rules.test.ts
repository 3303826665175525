// Core integration tests (issue 2 §8): rule edge cases of the label policy on a real chain — no comment, plain
// comment, differing keys, duplicate label sets, invalid label names, comment without counter, empty chain.
// Counters are preset in the ruleset and the chain is not hooked, so every expected line is exact.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertMatchesKernel, logLines, ruleCounts, ruleLines } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  type NfpromHandle,
  type OracleRule,
  parseExposition,
  promtoolCheck,
  readChainOracle,
  requireRoot,
  startNfprom,
} from "./harness.js";

async function setup(t: import("node:test").TestContext, rules: string[], args: string[] = []) {
  const ns = await Netns.create("edge", { t });
  await ns.nft(accountingRuleset(rules, { hooks: false }));
  const h = await startNfprom(ns, args);
  const oracle = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(oracle);
  return { ns, h, oracle };
}

/** Scrapes once; asserts HTTP 200, the exact rule lines, the kernel match, rule counts and promtool. */
async function expectScrape(
  h: NfpromHandle,
  oracle: OracleRule[],
  lines: string[],
  counts: { exported: number; ignored: number; rejected: number },
): Promise<string> {
  const res = await h.scrape();
  assert.equal(res.status, 200);
  assert.deepEqual(ruleLines(res.body), [...lines].sort(), res.body);
  assertMatchesKernel(res.body, oracle);
  assert.deepEqual(ruleCounts(parseExposition(res.body)), counts);
  const check = await promtoolCheck(res.body);
  assert.equal(check.code, 0, check.output);
  return res.body;
}

test("edge: rules without a comment and with a plain comment are ignored (counted, not exported)", async (t) => {
  if (!requireRoot(t)) return;
  const { h, oracle } = await setup(t, [
    'tcp dport 1 counter packets 11 bytes 1100 comment "nft(svc=kept)"',
    "tcp dport 2 counter packets 22 bytes 2200",
    'tcp dport 3 counter packets 33 bytes 3300 comment "just a note"',
    'tcp dport 4 counter packets 44 bytes 4400 comment "svc=x;dir=in"',
  ]);
  await expectScrape(
    h,
    oracle,
    ['nfprom_bytes_total{svc="kept"} 1100', 'nfprom_packets_total{svc="kept"} 11'],
    {
      exported: 1,
      ignored: 3,
      rejected: 0,
    },
  );
  assert.equal(logLines(h, "rule rejected").length, 0);
});

test("edge: differing keys — label names are the union, missing keys get the empty value", async (t) => {
  if (!requireRoot(t)) return;
  const { h, oracle } = await setup(t, [
    'tcp dport 1 counter packets 1 bytes 10 comment "nft(svc=a;dir=in)"',
    'tcp dport 2 counter packets 2 bytes 20 comment "nft(svc=b)"',
    'tcp dport 3 counter packets 3 bytes 30 comment "nft(zone=dmz)"',
    'tcp dport 4 counter packets 4 bytes 40 comment "nft()"',
  ]);
  await expectScrape(
    h,
    oracle,
    [
      'nfprom_bytes_total{dir="in",svc="a",zone=""} 10',
      'nfprom_bytes_total{dir="",svc="b",zone=""} 20',
      'nfprom_bytes_total{dir="",svc="",zone="dmz"} 30',
      'nfprom_bytes_total{dir="",svc="",zone=""} 40',
      'nfprom_packets_total{dir="in",svc="a",zone=""} 1',
      'nfprom_packets_total{dir="",svc="b",zone=""} 2',
      'nfprom_packets_total{dir="",svc="",zone="dmz"} 3',
      'nfprom_packets_total{dir="",svc="",zone=""} 4',
    ],
    { exported: 4, ignored: 0, rejected: 0 },
  );
});

test("edge: duplicate label sets are summed — the value is the sum of the kernel's counters", async (t) => {
  if (!requireRoot(t)) return;
  const { h, oracle } = await setup(t, [
    'tcp dport 1 counter packets 5 bytes 500 comment "nft(svc=dup;dir=in)"',
    'tcp dport 2 counter packets 7 bytes 700 comment "nft( dir = in ; svc = dup )"',
    'tcp dport 3 counter packets 18446744073709551000 bytes 9007199254740993 comment "nft(svc=dup;dir=in)"',
    'tcp dport 4 counter packets 1 bytes 1 comment "nft(svc=other;dir=in)"',
    'tcp dport 5 counter packets 2 bytes 3 comment "nft(svc=dup2)"',
    'tcp dport 6 counter packets 4 bytes 5 comment "nft(svc=dup2;dir=)"',
  ]);
  const sum = (f: "packets" | "bytes", pred: (c: string) => boolean) =>
    oracle.filter((r) => pred(r.comment ?? "")).reduce((a, r) => a + (r[f] as bigint), 0n);
  const isDup = (c: string) => /svc\s*=\s*dup\s*[;)]/.test(c);
  assert.equal(sum("packets", isDup), 18446744073709551012n);
  assert.equal(sum("bytes", isDup), 9007199254742193n);
  await expectScrape(
    h,
    oracle,
    [
      'nfprom_bytes_total{dir="in",svc="dup"} 9007199254742193',
      'nfprom_packets_total{dir="in",svc="dup"} 18446744073709551012',
      'nfprom_bytes_total{dir="in",svc="other"} 1',
      'nfprom_packets_total{dir="in",svc="other"} 1',
      'nfprom_bytes_total{dir="",svc="dup2"} 8',
      'nfprom_packets_total{dir="",svc="dup2"} 6',
    ],
    { exported: 6, ignored: 0, rejected: 0 },
  );
});

test("edge: invalid label names are rejected and logged once per rule across scrapes", async (t) => {
  if (!requireRoot(t)) return;
  const bad = ["nft(bad-key=1)", "nft(1st=x)", "nft(__x=1)", "nft(svc)"];
  const { h, oracle } = await setup(t, [
    ...bad.map((c, i) => `tcp dport ${10 + i} counter packets 9 bytes 99 comment "${c}"`),
    'tcp dport 1 counter packets 1 bytes 2 comment "nft(svc=good)"',
  ]);
  const want = ['nfprom_bytes_total{svc="good"} 2', 'nfprom_packets_total{svc="good"} 1'];
  const counts = { exported: 1, ignored: 0, rejected: 4 };
  for (let i = 0; i < 4; i++) await expectScrape(h, oracle, want, counts);
  const rejected = logLines(h, "rule rejected");
  assert.equal(rejected.length, bad.length, rejected.join("\n"));
  for (const c of bad) {
    const rule = oracle.find((r) => r.comment === c);
    assert.ok(rule);
    assert.equal(logLines(h, "rule rejected", { comment: c, handle: String(rule.handle) }).length, 1, c);
  }
  assert.ok(h.exitInfo() === undefined, "still running");
});

test("edge: a comment without a counter is rejected (no series), the others are exported", async (t) => {
  if (!requireRoot(t)) return;
  const { h, oracle } = await setup(t, [
    'tcp dport 9 accept comment "nft(svc=nocounter)"',
    'tcp dport 1 counter packets 3 bytes 4 comment "nft(svc=ok)"',
  ]);
  assert.equal(oracle[0]?.packets, undefined, "the oracle sees no counter on the first rule");
  await expectScrape(h, oracle, ['nfprom_bytes_total{svc="ok"} 4', 'nfprom_packets_total{svc="ok"} 3'], {
    exported: 1,
    ignored: 0,
    rejected: 1,
  });
  const log = logLines(h, "rule rejected", { comment: "nft(svc=nocounter)" });
  assert.equal(log.length, 1);
  assert.match(log[0] as string, /counter/);
});

test("edge: an empty chain is up 1 with no rule series (any family and -family inet)", async (t) => {
  if (!requireRoot(t)) return;
  const { ns, h, oracle } = await setup(t, []);
  assert.deepEqual(oracle, []);
  const h2 = await startNfprom(ns, ["-family", "inet"]);
  for (const x of [h, h2]) {
    const body = await expectScrape(x, oracle, [], { exported: 0, ignored: 0, rejected: 0 });
    const e = parseExposition(body);
    assert.equal(e.get("nfprom_up"), 1n);
    assert.equal(e.byName("nfprom_bytes_total").length, 0);
    assert.equal(e.type.get("nfprom_bytes_total"), "counter");
  }
});
