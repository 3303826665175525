// Named counters, quotas and several chains on the real kernel: traffic through rules that use the
// objects, every value compared with `nft -j list counters|quotas` read right after the scrape (no
// traffic in between), objects added and removed while nfprom runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { logLines } from "./core-common.js";
import {
  accountingRuleset,
  type Netns,
  Netns as NetnsClass,
  type NfpromHandle,
  parseExposition,
  parseNftJson,
  promtoolCheck,
  readChainOracle,
  readNamedCounters,
  requireRoot,
  sendTraffic,
  startNfprom,
  u64,
  waitUntil,
} from "./harness.js";

interface OracleQuota {
  name: string;
  bytes: bigint;
  used: bigint;
  inv: boolean;
}

/** `nft -j list quotas table inet firewall`, exact. */
async function readQuotas(ns: Netns): Promise<OracleQuota[]> {
  const raw = await ns.nftCmd(["-j", "list", "quotas", "table", "inet", "firewall"]);
  const items = (parseNftJson(raw) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
  return items
    .filter((i) => i.quota)
    .map(({ quota: q }) => ({
      name: String(q?.name),
      bytes: u64(q?.bytes),
      used: u64(q?.used),
      inv: q?.inv === true,
    }));
}

/** scrapedNames: the `name` label of every series of `metric` in a new scrape, sorted. */
async function scrapedNames(nf: NfpromHandle, metric: string): Promise<string[]> {
  return parseExposition((await nf.scrape()).body)
    .byName(metric)
    .map((s) => s.labels.name as string)
    .sort();
}

function objectsRuleset(udpPort: number, tcpPort: number): string {
  const rules = [
    `udp dport ${udpPort} counter name "udp_in" comment "nft(service=udp)"`,
    `tcp dport ${tcpPort} counter name "tcp_any"`,
    `tcp dport ${tcpPort} quota name "tcp_quota"`,
    `udp dport ${udpPort} counter comment "nft(service=anon)"`,
  ];
  const objects = [
    '  counter udp_in { comment "nft(service=udp;dir=in)" }',
    "  counter tcp_any { }",
    '  quota tcp_quota { over 20000 bytes comment "nft(plan=small)" }',
  ];
  return accountingRuleset(rules, { declarations: objects });
}

test("named counters and quotas: traffic, exact values, objref rules not double-counted", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-obj", { t });
  const udp = ns.freePort();
  const tcp = ns.freePort();
  await ns.nft(objectsRuleset(udp, tcp));
  const nf = await startNfprom(ns, ["-counters", "inet/firewall/*", "-quotas", "firewall/*"]);
  await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: udp, bytes: 30_000 });
  await sendTraffic(ns, { proto: "tcp", host: "::1", port: tcp, bytes: 50_000 });

  const res = await nf.scrape();
  const counters = await readNamedCounters(ns, "inet", "firewall");
  const quotas = await readQuotas(ns);
  assert.equal(res.status, 200);
  const e = parseExposition(res.body);
  assert.deepEqual(e.duplicates, []);
  const base = { family: "inet", table: "firewall" };
  const udpIn = counters?.find((c) => c.name === "udp_in");
  const tcpAny = counters?.find((c) => c.name === "tcp_any");
  assert.ok(udpIn && tcpAny && udpIn.packets > 0n && tcpAny.bytes > 0n);
  const udpLabels = { ...base, name: "udp_in", service: "udp", dir: "in" };
  assert.equal(e.get("nfprom_object_bytes_total", udpLabels), udpIn.bytes);
  assert.equal(e.get("nfprom_object_packets_total", udpLabels), udpIn.packets);
  const tcpLabels = { ...base, name: "tcp_any", service: "", dir: "" };
  assert.equal(e.get("nfprom_object_bytes_total", tcpLabels), tcpAny.bytes);
  const q = quotas.find((x) => x.name === "tcp_quota");
  // The kernel reports a used-up quota as used == limit (nft_quota_do_dump caps it).
  assert.ok(q && q.used === 20_000n && q.inv);
  const qLabels = { ...base, name: "tcp_quota", mode: "over", plan: "small" };
  assert.equal(e.get("nfprom_quota_used_bytes", qLabels), q.used);
  assert.equal(e.get("nfprom_quota_limit_bytes", qLabels), 20_000n);
  assert.equal(e.get("nfprom_quota_exhausted", qLabels), 1n);
  // The rule with `counter name` is ignored, not a series; the anonymous-counter rule is one.
  assert.deepEqual(
    e.byName("nfprom_bytes_total").map((s) => s.labels),
    [{ service: "anon" }],
  );
  assert.equal(e.get("nfprom_rules", { state: "rejected" }), 0n);
  assert.equal(e.get("nfprom_source_success", { source: "objects" }), 1n);
  assert.equal((await promtoolCheck(res.body)).code, 0);
});

test("named counters added and removed while running appear and disappear", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-obj-live", { t });
  await ns.nft(objectsRuleset(ns.freePort(), ns.freePort()));
  const nf = await startNfprom(ns, ["-counters", "firewall/*"]);
  const names = () => scrapedNames(nf, "nfprom_object_packets_total");
  assert.deepEqual(await names(), ["tcp_any", "udp_in"]);
  await ns.nftCmd(["add", "counter", "inet", "firewall", "late", "{", "packets", "7", "bytes", "700", "}"]);
  await ns.nftCmd(["add", "counter", "ip", "elsewhere", "x"]).catch(() => {});
  const e = parseExposition((await nf.scrape()).body);
  assert.equal(
    e.get("nfprom_object_bytes_total", {
      family: "inet",
      table: "firewall",
      name: "late",
      service: "",
      dir: "",
    }),
    700n,
  );
  await ns.nftCmd(["delete", "counter", "inet", "firewall", "late"]);
  await waitUntil(async () => !(await names()).includes("late"), {
    timeoutMs: 5000,
    what: "late to disappear",
  });
  assert.deepEqual(await names(), ["tcp_any", "udp_in"]);

  // A malformed nft(...) comment: the counter is still exported, by its name; counted, and logged once.
  await ns.nftCmd(["add", "counter", "inet", "firewall", "bad", '{ comment "nft(bad-key=1)" }']);
  await nf.scrape();
  const withBad = parseExposition((await nf.scrape()).body);
  assert.equal(withBad.get("nfprom_comments_rejected", { kind: "counter" }), 1n);
  assert.ok(withBad.byName("nfprom_object_bytes_total").some((s) => s.labels.name === "bad"));
  assert.equal(
    logLines(nf, "named counter comment rejected", { name: "bad", comment: "nft(bad-key=1)" }).length,
    1,
  );
});

test("quotas: one partly used, exact; quotas added and removed while running appear and disappear", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-quota-live", { t });
  const udp = ns.freePort();
  await ns.nft(
    accountingRuleset([`udp dport ${udp} quota name "udp_quota"`], {
      declarations: ['  quota udp_quota { until 1000000 bytes comment "nft(plan=big)" }'],
    }),
  );
  const nf = await startNfprom(ns, ["-quotas", "*/firewall/*"]);
  await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: udp, bytes: 30_000 });
  const res = await nf.scrape();
  const [q] = (await readQuotas(ns)).filter((x) => x.name === "udp_quota");
  assert.ok(
    q && q.used >= 30_000n && q.used < q.bytes && !q.inv,
    `udp_quota: used ${q?.used} of ${q?.bytes}`,
  );
  const e = parseExposition(res.body);
  const labels = { family: "inet", table: "firewall", name: "udp_quota", mode: "until", plan: "big" };
  assert.equal(e.get("nfprom_quota_used_bytes", labels), q.used);
  assert.equal(e.get("nfprom_quota_limit_bytes", labels), 1_000_000n);
  assert.equal(e.get("nfprom_quota_exhausted", labels), 0n);

  const names = () => scrapedNames(nf, "nfprom_quota_used_bytes");
  // Added in another family's table: told apart by the family label.
  await ns.nftCmd(["add", "table", "ip6", "firewall"]);
  await ns.nftCmd(["add", "quota", "ip6", "firewall", "late", "{ over 5000 bytes used 100 bytes }"]);
  const late = parseExposition((await nf.scrape()).body);
  const lateLabels = { family: "ip6", table: "firewall", name: "late", mode: "over", plan: "" };
  assert.equal(late.get("nfprom_quota_used_bytes", lateLabels), 100n);
  assert.equal(late.get("nfprom_quota_limit_bytes", lateLabels), 5000n);
  await ns.nftCmd(["delete", "quota", "ip6", "firewall", "late"]);
  await waitUntil(async () => !(await names()).includes("late"), {
    timeoutMs: 5000,
    what: "quota late to disappear",
  });
  assert.deepEqual(await names(), ["udp_quota"]);
});

test("several chains: one series per chain with family/table/chain labels; one chain keeps the seed's labels", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-chains", { t });
  const port = ns.freePort();
  await ns.nft(accountingRuleset([`udp dport ${port} counter comment "nft(service=x)"`]));
  await ns.nft(
    accountingRuleset([`udp dport ${port} counter comment "nft(service=x)"`], {
      table: "firewall",
      chain: "accounting_extra",
      hooks: false,
    }).replace(
      "chain accounting_extra {",
      "chain accounting_extra {\n    type filter hook input priority 10; policy accept;",
    ),
  );
  const single = await startNfprom(ns, []);
  const multi = await startNfprom(ns, ["-chains", "inet/firewall/accounting*"]);
  await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port, bytes: 12_000 });

  const one = parseExposition((await single.scrape()).body);
  assert.deepEqual(
    one.byName("nfprom_bytes_total").map((s) => s.labels),
    [{ service: "x" }],
  );
  const many = parseExposition((await multi.scrape()).body);
  const oracleA = await ns.nftCmd(["-j", "list", "chain", "inet", "firewall", "accounting"]);
  const oracleB = await ns.nftCmd(["-j", "list", "chain", "inet", "firewall", "accounting_extra"]);
  const bytesOf = (raw: string) => {
    const items = (
      parseNftJson(raw) as { nftables: { rule?: { expr: Record<string, { bytes?: unknown }>[] } }[] }
    ).nftables;
    const rule = items.find((i) => i.rule)?.rule;
    return u64(rule?.expr.find((x) => x.counter)?.counter?.bytes);
  };
  const where = { family: "inet", table: "firewall", service: "x" };
  assert.equal(many.get("nfprom_bytes_total", { ...where, chain: "accounting" }), bytesOf(oracleA));
  assert.equal(many.get("nfprom_bytes_total", { ...where, chain: "accounting_extra" }), bytesOf(oracleB));
  assert.equal(many.byName("nfprom_bytes_total").length, 2);

  await ns.nftCmd(["delete", "chain", "inet", "firewall", "accounting_extra"]);
  const after = parseExposition((await multi.scrape()).body);
  assert.deepEqual(
    after.byName("nfprom_bytes_total").map((s) => s.labels.chain),
    ["accounting"],
  );
  assert.equal(after.get("nfprom_up"), 1n);
});

test("-chains across families: the same table and chain in ip and ip6 are told apart by family", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-fam", { t });
  const port = ns.freePort();
  for (const family of ["ip", "ip6"] as const) {
    await ns.nft(accountingRuleset([`udp dport ${port} counter comment "nft(service=dns)"`], { family }));
  }
  const nf = await startNfprom(ns, ["-chains", "*/firewall/accounting"]);
  await sendTraffic(ns, { proto: "udp", host: "::1", port, bytes: 5_000 });
  const e = parseExposition((await nf.scrape()).body);
  const v4 = await readChainOracle(ns, "ip", "firewall", "accounting");
  const v6 = await readChainOracle(ns, "ip6", "firewall", "accounting");
  const where = { table: "firewall", chain: "accounting", service: "dns" };
  assert.equal(e.get("nfprom_bytes_total", { ...where, family: "ip" }), v4?.[0]?.bytes);
  assert.equal(e.get("nfprom_bytes_total", { ...where, family: "ip6" }), v6?.[0]?.bytes);
  assert.ok((v6?.[0]?.bytes ?? 0n) > 0n && v4?.[0]?.bytes === 0n);
});

test("objects only: a -chains pattern that matches no chain is an empty selection, not an error", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-only", { t });
  await ns.nftCmd(["add", "table", "inet", "t"]);
  await ns.nftCmd(["add", "counter", "inet", "t", "c", "{", "packets", "3", "bytes", "300", "}"]);
  const nf = await startNfprom(ns, ["-chains", "*/*/-", "-counters", "t/*"]);
  const e = parseExposition((await nf.scrape()).body);
  assert.equal(e.get("nfprom_up"), 1n);
  assert.equal(e.get("nfprom_object_bytes_total", { family: "inet", table: "t", name: "c" }), 300n);
  assert.deepEqual(e.byName("nfprom_bytes_total"), []);
});
