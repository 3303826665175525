// A chain and named counters large enough (600 each) that the reader leaves unchanged columns out of its
// replies and the web process reuses its last label plan (src/ipc/elision.ts, src/render/scrape.ts): across
// scrapes with traffic in between, and across changes of the ruleset while nfprom runs, every series still
// equals `nft -j` read right after the scrape.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { assertMatchesKernel, webPid } from "./core-common.js";
import {
  accountingRuleset,
  type Netns,
  Netns as NetnsClass,
  type NfpromHandle,
  parseExposition,
  readChainOracle,
  readNamedCounters,
  requireRoot,
  sendTraffic,
  startNfprom,
} from "./harness.js";

const N = 600;

function ruleset(): string {
  const rules = [
    'ip daddr 127.0.0.1 tcp dport 5101 counter comment "nft(svc=t5101)"',
    'ip daddr 127.0.0.1 udp dport 5102 counter comment "nft(svc=u5102)"',
    // Two rules, one label set: summed into one series, on every scrape.
    'ip daddr 127.0.0.1 udp dport 5103 counter comment "nft(svc=dup)"',
    'ip daddr 127.0.0.1 udp dport 5104 counter comment "nft(svc=dup)"',
  ];
  // Ports 10000-10599: below the harness's listen ports (19000-29999) and the ephemeral range, so that no
  // rule counts the scrapes' own packets (a scrape's last ACKs arrive after its read).
  for (let i = 0; i < N; i++) rules.push(`tcp dport ${10000 + i} counter comment "nft(svc=p${i})"`);
  const counters = Array.from(
    { length: N },
    (_, i) => `counter c${i} { packets ${i} bytes ${i * 100} comment "nft(owner=o${i % 7})" }`,
  );
  return accountingRuleset(rules, { declarations: counters });
}

/** One scrape, then the kernel's view right after: every rule series and every named counter equal. */
async function scrapeAndCompare(ns: Netns, h: NfpromHandle): Promise<string> {
  const res = await h.scrape();
  const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
  const counters = await readNamedCounters(ns, "inet", "firewall");
  assert.equal(res.status, 200);
  assert.ok(rules && counters);
  assertMatchesKernel(res.body, rules);
  const e = parseExposition(res.body);
  assert.equal(e.byName("nfprom_object_bytes_total").length, counters.length);
  for (const c of counters) {
    const owner = /owner=([^;)]*)/.exec(c.comment ?? "")?.[1] ?? "";
    const labels = { family: "inet", table: "firewall", name: c.name, owner };
    assert.equal(e.get("nfprom_object_bytes_total", labels), c.bytes, `counter ${c.name} bytes`);
    assert.equal(e.get("nfprom_object_packets_total", labels), c.packets, `counter ${c.name} packets`);
  }
  return res.body;
}

test("large chain and counters: unchanged scrapes, traffic, rules and counters changed while running", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("large", { t });
  await ns.nft(ruleset());
  const h = await startNfprom(ns, ["-counters", "inet/firewall/*"]);
  // The reader re-executed itself with its V8 options (src/cli/reexec.ts), keeping its pid; the web
  // process was forked with the same.
  for (const pid of [h.pid, await webPid(h)]) {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    assert.ok(cmdline.includes("--max-semi-space-size=1"), `pid ${pid}: ${cmdline.join(" ")}`);
  }

  await scrapeAndCompare(ns, h);
  await scrapeAndCompare(ns, h); // nothing changed: columns left out, plans reused
  for (const k of [1, 2]) {
    await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: 5101, bytes: 30_000 * k });
    await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: 5102, bytes: 4000 * k, datagram: 1000 });
    await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: 5103, bytes: 2000, datagram: 1000 });
    await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: 5104, bytes: 3000, datagram: 1000 });
    const body = await scrapeAndCompare(ns, h);
    assert.match(body, /\nnfprom_bytes_total\{svc="t5101"\} [1-9]\d*\n/, `round ${k}: traffic counted`);
  }

  // The ruleset changes: a rule's comment (a new label name for every series), a rule and a counter gone,
  // a counter added. The reader must send the changed columns, the web process must drop its plans.
  const [rule] =
    (await readChainOracle(ns, "inet", "firewall", "accounting"))?.filter(
      (r) => r.comment === "nft(svc=p7)",
    ) ?? [];
  assert.ok(rule);
  await ns.replaceAccountingRule(rule.handle, 'tcp dport 10007 counter comment "nft(svc=p7;zone=dmz)"');
  const gone = (await readChainOracle(ns, "inet", "firewall", "accounting"))?.find(
    (r) => r.comment === "nft(svc=p9)",
  );
  assert.ok(gone);
  await ns.nftCmd(["delete", "rule", "inet", "firewall", "accounting", "handle", String(gone.handle)]);
  await ns.nftCmd(["delete", "counter", "inet", "firewall", "c5"]);
  await ns.nftCmd(["add", "counter", "inet", "firewall", "late", "{", "packets", "3", "bytes", "300", "}"]);
  const changed = await scrapeAndCompare(ns, h);
  assert.match(changed, /\nnfprom_bytes_total\{svc="p7",zone="dmz"\} 0\n/);
  assert.match(changed, /\nnfprom_bytes_total\{svc="p8",zone=""\} 0\n/);
  assert.doesNotMatch(changed, /svc="p9"/);
  assert.doesNotMatch(changed, /name="c5"/);
  assert.match(
    changed,
    /\nnfprom_object_bytes_total\{family="inet",name="late",owner="",table="firewall"\} 300\n/,
  );

  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: 5101, bytes: 10_000 });
  await scrapeAndCompare(ns, h); // the new structure, unchanged again: left out and reused once more
});
