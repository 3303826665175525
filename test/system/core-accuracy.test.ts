// Core integration tests (issue 2 §8): accuracy. Real TCP/UDP traffic over 127.0.0.1 and ::1 in a fresh network
// namespace, the real nfprom (reader as root + unprivileged web process), every series compared with
// `nft -j list chain` read right after the scrape — exact equality of bytes and packets — and promtool.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertMatchesKernel, ruleLines, U64_MAX } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  type NfpromHandle,
  type OracleRule,
  parseExposition,
  promtoolCheck,
  readChainOracle,
  requireRoot,
  sendTraffic,
  startNfprom,
  waitUntil,
} from "./harness.js";

// Ports below the harness' listen range (19000+) and the ephemeral range (32768+): only our traffic uses them,
// so the HTTP scrapes are never counted by these rules.
const RULES = [
  'ip daddr 127.0.0.1 tcp dport 5001 counter comment "nft(l2proto=ipv4;l3proto=tcp;service=t5001;dir=in)"',
  'ip saddr 127.0.0.1 tcp sport 5001 counter comment "nft(l2proto=ipv4;l3proto=tcp;service=t5001;dir=out)"',
  'ip6 daddr ::1 tcp dport 5002 counter comment "nft(l2proto=ipv6;l3proto=tcp;service=t5002;dir=in)"',
  'ip6 saddr ::1 tcp sport 5002 counter comment "nft(l2proto=ipv6;l3proto=tcp;service=t5002;dir=out)"',
  'ip daddr 127.0.0.1 udp dport 5003 counter comment "nft(l2proto=ipv4;l3proto=udp;service=u5003;dir=in)"',
  'ip6 daddr ::1 udp dport 5004 counter comment "nft(l2proto=ipv6;l3proto=udp;service=u5004;dir=in)"',
  'udp dport 5005 counter comment "nft(l2proto=any;l3proto=udp;service=idle;dir=in)"',
  "tcp dport 5006 counter packets 18446744073709551615 bytes 9223372036854775813 " +
    'comment "nft(l2proto=any;l3proto=tcp;service=preset_max;dir=in)"',
  "tcp dport 5007 counter packets 9007199254740993 bytes 18446744073709551614 " +
    'comment "nft(l2proto=any;l3proto=tcp;service=preset_2p53;dir=in)"',
];

const TCP_IN_V4 = "nft(l2proto=ipv4;l3proto=tcp;service=t5001;dir=in)";
const UDP_IN_V4 = "nft(l2proto=ipv4;l3proto=udp;service=u5003;dir=in)";
const UDP_IN_V6 = "nft(l2proto=ipv6;l3proto=udp;service=u5004;dir=in)";

async function oracle(ns: Netns): Promise<OracleRule[]> {
  const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(rules, "chain missing");
  return rules;
}

const fingerprint = (rules: readonly OracleRule[]) =>
  rules.map((r) => `${r.handle}:${r.bytes}:${r.packets}`).join(" ");

/** Waits until the counters stop moving (late FIN/ACKs), then scrapes and reads the kernel right after. */
async function scrapeAndCompare(ns: Netns, h: NfpromHandle): Promise<{ body: string; rules: OracleRule[] }> {
  let last = fingerprint(await oracle(ns));
  await waitUntil(
    async () => {
      const now = fingerprint(await oracle(ns));
      const stable = now === last;
      last = now;
      return stable;
    },
    { timeoutMs: 5000, intervalMs: 50, what: "counters to settle" },
  );
  const res = await h.scrape();
  const rules = await oracle(ns);
  assert.equal(
    fingerprint(rules),
    last,
    "counters moved between settling and the scrape: test traffic leaked",
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  assertMatchesKernel(res.body, rules);
  return { body: res.body, rules };
}

const byComment = (rules: readonly OracleRule[], c: string): OracleRule => {
  const r = rules.find((x) => x.comment === c);
  assert.ok(r, c);
  return r;
};

test("accuracy: every series equals the kernel's counters, before and after TCP/UDP over IPv4 and IPv6", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("acc", { t });
  await ns.nft(accountingRuleset(RULES));
  const h = await startNfprom(ns, []);

  // Round 0: no traffic yet; the idle rules are 0 and the presets exact.
  const r0 = await scrapeAndCompare(ns, h);
  assert.equal(byComment(r0.rules, TCP_IN_V4).packets, 0n);

  // Round 1 and 2: traffic of every kind; each time the counters move and still match exactly.
  let prev = r0.rules;
  for (const [round, k] of [
    [1, 1],
    [2, 3],
  ] as const) {
    await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: 5001, bytes: 50_000 * k });
    await sendTraffic(ns, { proto: "tcp", host: "::1", port: 5002, bytes: 70_000 * k });
    await sendTraffic(ns, {
      proto: "udp",
      host: "127.0.0.1",
      port: 5003,
      bytes: 1000 * 7 * k,
      datagram: 1000,
    });
    await sendTraffic(ns, { proto: "udp", host: "::1", port: 5004, bytes: 1000 * 5 * k, datagram: 1000 });
    const { body, rules } = await scrapeAndCompare(ns, h);
    for (const r of rules) {
      const before = prev.find((p) => p.handle === r.handle);
      const moved = !/service=(idle|preset)/.test(r.comment ?? "");
      assert.equal(
        (r.packets as bigint) > (before?.packets as bigint),
        moved,
        `round ${round}: ${r.comment} ${before?.packets} -> ${r.packets}`,
      );
    }
    // The UDP rules are exact by construction: each datagram passes the output and the input hook (both jump
    // to the chain), payload + UDP header (8) + IP header (20 / 40).
    const e = parseExposition(body);
    const udp4 = { dir: "in", l2proto: "ipv4", l3proto: "udp", service: "u5003" };
    const udp6 = { dir: "in", l2proto: "ipv6", l3proto: "udp", service: "u5004" };
    const d4 = byComment(rules, UDP_IN_V4).packets as bigint;
    const d6 = byComment(rules, UDP_IN_V6).packets as bigint;
    assert.equal(d4, BigInt(2 * 7 * (k === 1 ? 1 : 4))); // cumulative: 7 datagrams, then 21 more
    assert.equal(d6, BigInt(2 * 5 * (k === 1 ? 1 : 4)));
    assert.equal(e.get("nfprom_bytes_total", udp4), (d4 / 2n) * (1000n + 28n) * 2n);
    assert.equal(e.get("nfprom_bytes_total", udp6), (d6 / 2n) * (1000n + 48n) * 2n);
    prev = rules;
  }
});

test("accuracy: preset u64 counters above 2^53 and 2^63 print as exact integers; promtool exit 0", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("acc", { t });
  await ns.nft(accountingRuleset(RULES));
  const h = await startNfprom(ns, []);
  const res = await h.scrape();
  assert.equal(res.status, 200);
  const lines = res.body.split("\n");
  for (const want of [
    'nfprom_packets_total{dir="in",l2proto="any",l3proto="tcp",service="preset_max"} 18446744073709551615',
    'nfprom_bytes_total{dir="in",l2proto="any",l3proto="tcp",service="preset_max"} 9223372036854775813',
    'nfprom_packets_total{dir="in",l2proto="any",l3proto="tcp",service="preset_2p53"} 9007199254740993',
    'nfprom_bytes_total{dir="in",l2proto="any",l3proto="tcp",service="preset_2p53"} 18446744073709551614',
    'nfprom_packets_total{dir="in",l2proto="any",l3proto="udp",service="idle"} 0',
  ]) {
    assert.ok(lines.includes(want), `missing line ${want}\n${res.body}`);
  }
  const e = assertMatchesKernel(res.body, await oracle(ns));
  assert.equal(
    e.get("nfprom_packets_total", { dir: "in", l2proto: "any", l3proto: "tcp", service: "preset_max" }),
    U64_MAX,
  );
  assert.equal(e.type.get("nfprom_bytes_total"), "counter");
  assert.equal(e.type.get("nfprom_packets_total"), "counter");
  assert.equal(e.type.get("nfprom_up"), "gauge");
  assert.ok(e.help.get("nfprom_bytes_total"));
  assert.equal(e.byName("nfprom_build_info").length, 1);
  assert.equal(e.get("nfprom_dump_interrupted_total"), 0n);
  for (const l of ruleLines(res.body)) assert.match(l, /^nfprom_(bytes|packets)_total\{[^}]*\} \d+$/);
  const check = await promtoolCheck(res.body);
  assert.equal(check.code, 0, `promtool: ${check.output}`);
});
