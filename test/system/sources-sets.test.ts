// Set elements with counters on the real kernel: a dynamic set filled by `update @set` from traffic, an
// interval set, maps and a concatenated key, values compared with `nft -j list set|map` read right after
// the scrape; elements removed while nfprom runs disappear; the per-set cap leaves elements out and says
// how many.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  accountingRuleset,
  type Netns,
  Netns as NetnsClass,
  parseExposition,
  parseNftJson,
  promtoolCheck,
  requireRoot,
  sendTraffic,
  startNfprom,
  u64,
} from "./harness.js";

interface OracleElement {
  key: string;
  bytes: bigint;
  packets: bigint;
}

/**
 * `nft -j list set|map inet firewall NAME`: element keys in nft's words (address, prefix, range,
 * `a . b`) and counters. A map lists each element as [element, data].
 */
async function readSet(ns: Netns, name: string, kind: "set" | "map" = "set"): Promise<OracleElement[]> {
  const raw = await ns.nftCmd(["-j", "list", kind, "inet", "firewall", name]);
  type Elem = { elem: { val: unknown; counter: { bytes: unknown; packets: unknown } } };
  type Listed = { elem?: (Elem | [Elem, unknown])[] };
  const doc = parseNftJson(raw) as { nftables: { set?: Listed; map?: Listed }[] };
  const elems = doc.nftables.find((i) => i[kind])?.[kind]?.elem ?? [];
  return elems.map((listed) => {
    const { elem } = Array.isArray(listed) ? listed[0] : listed;
    return { key: keyText(elem.val), bytes: u64(elem.counter.bytes), packets: u64(elem.counter.packets) };
  });
}

function keyText(val: unknown): string {
  if (typeof val === "string" || typeof val === "number") return String(val);
  const v = val as { prefix?: { addr: string; len: number }; range?: [string, string]; concat?: unknown[] };
  if (v.prefix) return `${v.prefix.addr}/${v.prefix.len}`;
  if (v.range) return `${v.range[0]}-${v.range[1]}`;
  if (v.concat) return v.concat.map(keyText).join(" . ");
  throw new Error(`unexpected element ${JSON.stringify(val)}`);
}

function setsRuleset(port: number): string {
  const sets = [
    "  set clients { type ipv4_addr; flags dynamic; counter; size 1000000; }",
    "  set nets { type ipv4_addr; flags interval; counter; elements = { 127.0.0.0/8, 192.0.2.10-192.0.2.20 } }",
  ];
  const rules = [`udp dport ${port} update @clients { ip saddr }`, `udp dport ${port} ip daddr @nets`];
  return accountingRuleset(rules, { declarations: sets });
}

test("set elements: traffic through a dynamic and an interval set, exact values, removal", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-sets", { t });
  const port = ns.freePort();
  await ns.nft(setsRuleset(port));
  await ns.nftCmd([
    "add",
    "element",
    "inet",
    "firewall",
    "clients",
    '{ 198.51.100.7 comment "nft(who=lab)" }',
  ]);
  const nf = await startNfprom(ns, ["-sets", "inet/firewall/*"]);
  await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port, bytes: 24_000 });

  const res = await nf.scrape();
  const oracle = { clients: await readSet(ns, "clients"), nets: await readSet(ns, "nets") };
  const e = parseExposition(res.body);
  assert.deepEqual(e.duplicates, []);
  assert.equal((await promtoolCheck(res.body)).code, 0);
  for (const [set, elements] of Object.entries(oracle)) {
    assert.ok(elements.length >= 1);
    for (const el of elements) {
      const labels = e
        .byName("nfprom_set_element_bytes_total")
        .find((s) => s.labels.set === set && s.labels.element === el.key)?.labels;
      assert.ok(labels, `no series for ${set} ${el.key}`);
      assert.equal(e.get("nfprom_set_element_bytes_total", labels), el.bytes);
      assert.equal(e.get("nfprom_set_element_packets_total", labels), el.packets);
    }
    const where = { family: "inet", table: "firewall", set };
    assert.equal(e.get("nfprom_set_elements", where), BigInt(elements.length));
  }
  const local = oracle.clients.find((x) => x.key === "127.0.0.1");
  assert.ok(local && local.packets > 0n, "update @clients added the sender with its counter");
  assert.equal(
    e.byName("nfprom_set_element_bytes_total").find((s) => s.labels.element === "198.51.100.7")?.labels.who,
    "lab",
  );

  await ns.nftCmd(["delete", "element", "inet", "firewall", "clients", "{ 198.51.100.7 }"]);
  const after = parseExposition((await nf.scrape()).body);
  const keys = after
    .byName("nfprom_set_element_packets_total")
    .map((s) => `${s.labels.set} ${s.labels.element}`);
  assert.ok(!keys.includes("clients 198.51.100.7"));
  assert.ok(keys.includes("clients 127.0.0.1"));
});

test("maps and concatenated keys: a verdict map, a data map, an address . port set; exact values; sets come and go", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-maps", { t });
  const port = ns.freePort();
  const declarations = [
    `map ports { type inet_service : verdict; counter; elements = { ${port} : continue } }`,
    "map marks { type ipv4_addr : mark; counter; elements = { 127.0.0.1 : 0x2a } }",
    `set pairs { type ipv4_addr . inet_service; counter; elements = { 127.0.0.1 . ${port} comment "nft(app=lab)" } }`,
  ];
  // Each matches only the test's UDP traffic: the scrapes (TCP to 127.0.0.1) must not move the counters.
  const rules = [
    "udp dport vmap @ports",
    `udp dport ${port} meta mark set ip daddr map @marks`,
    "ip daddr . udp dport @pairs",
  ];
  await ns.nft(accountingRuleset(rules, { declarations }));
  const nf = await startNfprom(ns, ["-sets", "firewall/*"]);
  await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port, bytes: 12_000 });

  const res = await nf.scrape();
  const oracle = {
    ports: await readSet(ns, "ports", "map"),
    marks: await readSet(ns, "marks", "map"),
    pairs: await readSet(ns, "pairs"),
  };
  const e = parseExposition(res.body);
  assert.deepEqual(e.duplicates, []);
  assert.equal((await promtoolCheck(res.body)).code, 0);
  assert.deepEqual(
    Object.values(oracle).map((elements) => elements.map((el) => el.key)),
    [[String(port)], ["127.0.0.1"], [`127.0.0.1 . ${port}`]],
  );
  for (const [set, elements] of Object.entries(oracle)) {
    for (const el of elements) {
      assert.ok(el.packets > 0n, `${set} ${el.key}: the traffic did not go through it`);
      const labels = {
        family: "inet",
        table: "firewall",
        set,
        element: el.key,
        app: set === "pairs" ? "lab" : "",
      };
      assert.equal(e.get("nfprom_set_element_bytes_total", labels), el.bytes, `${set} ${el.key}`);
      assert.equal(e.get("nfprom_set_element_packets_total", labels), el.packets, `${set} ${el.key}`);
    }
    assert.equal(e.get("nfprom_set_elements", { family: "inet", table: "firewall", set }), 1n);
  }

  // A set added while nfprom runs appears on the next scrape; a deleted map's series disappear (the
  // rules go first: a map a rule uses cannot be deleted).
  await ns.nftCmd(["flush", "chain", "inet", "firewall", "accounting"]);
  await ns.nftCmd(["delete", "map", "inet", "firewall", "marks"]);
  await ns.nftCmd([
    "add",
    "set",
    "inet",
    "firewall",
    "late",
    "{ type ipv4_addr; counter; elements = { 192.0.2.1 } }",
  ]);
  const sets = new Set(
    parseExposition((await nf.scrape()).body)
      .byName("nfprom_set_elements")
      .map((s) => s.labels.set),
  );
  assert.deepEqual([...sets].sort(), ["late", "pairs", "ports"]);
});

test("-sets.max-elements caps the series per set and reports the rest as left out", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-sets-cap", { t });
  await ns.nft(setsRuleset(ns.freePort()));
  const many = Array.from({ length: 5 }, (_, i) => `10.9.0.${i + 1}`).join(", ");
  await ns.nftCmd(["add", "element", "inet", "firewall", "clients", `{ ${many} }`]);
  const nf = await startNfprom(ns, ["-sets", "firewall/clients", "-sets.max-elements", "3"]);
  const e = parseExposition((await nf.scrape()).body);
  const where = { family: "inet", table: "firewall", set: "clients" };
  assert.equal(e.byName("nfprom_set_element_bytes_total").length, 3);
  assert.equal(e.get("nfprom_set_elements", where), 5n);
  assert.equal(e.get("nfprom_set_elements_left_out", where), 2n);
  assert.equal(e.get("nfprom_source_success", { source: "sets" }), 1n);
});

// A set that changes while the kernel dumps it without a ruleset transaction: `update @clients { ip saddr }`
// adds an element from the packet path for every new source address. The kernel goes on counting elements
// from the start of its walk, so elements added meanwhile make others come twice (or not at all), it flags
// nothing, and the generation does not move (docs/reload-truth.md). A sender inside the namespace sends one
// datagram from each of 127.1.0.0 onwards in turn, without pause, while we scrape a set of STATIC elements.
// (Elements added by `nft add element`, one transaction each, are changes of the ruleset: the proof rejects
// such reads and the last complete snapshot is served; reload-truth.test.ts covers that.)
const STATIC = 20_000;
/** Scrapes while the set grows. */
const SCRAPES = 8;
const GROW_MJS = `
import dgram from "node:dgram";
import { existsSync } from "node:fs";
const [stop, port] = process.argv.slice(2);
for (let i = 0; !existsSync(stop); i = (i + 1) % 4194304) {
  const sock = dgram.createSocket("udp4");
  const address = \`127.\${1 + (i >> 16)}.\${(i >> 8) & 255}.\${i & 255}\`;
  await new Promise((resolve) => sock.bind({ address }, resolve));
  await new Promise((resolve) => sock.send("x", Number(port), "127.0.0.1", resolve));
  sock.close();
  await new Promise((resolve) => setTimeout(resolve, 1)); // ~600 new elements a second, as measured before
}
`;

test("a set growing during its dumps: each element exported once, values exact, the repeats reported", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await NetnsClass.create("src-sets-grow", { t });
  const port = ns.freePort();
  await ns.nft(setsRuleset(port));
  const elements = Array.from(
    { length: STATIC },
    (_, i) => `10.1.${i >> 8}.${i & 255} counter packets 1 bytes ${i}`,
  );
  const dir = ns.tempDir();
  writeFileSync(join(dir, "static.nft"), `add element inet firewall clients { ${elements.join(", ")} }\n`);
  await ns.nftCmd(["-f", join(dir, "static.nft")]);
  const nf = await startNfprom(ns, [
    "-sets",
    "firewall/clients",
    "-sets.max-elements",
    "100000",
    "-read-timeout",
    "5s",
  ]);
  const stopFile = join(dir, "stop");
  writeFileSync(join(dir, "grow.mjs"), GROW_MJS);
  const grow = ns.spawn(process.execPath, [join(dir, "grow.mjs"), stopFile, String(port)]);
  const growExit = new Promise<number | null>((resolve) => grow.once("exit", (c) => resolve(c)));
  const where = { family: "inet", table: "firewall", set: "clients" };
  let tornScrapes = 0;
  try {
    for (let scrape = 0; scrape < SCRAPES; scrape++) {
      const body = (await nf.scrape()).body;
      const e = parseExposition(body);
      assert.deepEqual(e.duplicates, [], "an element exported twice");
      if (scrape === 0) assert.equal((await promtoolCheck(body)).code, 0);
      for (const s of e.byName("nfprom_set_element_bytes_total")) {
        const m = /^10\.1\.(\d+)\.(\d+)$/.exec(s.labels.element ?? "");
        if (m)
          assert.equal(s.value, BigInt(Number(m[1]) * 256 + Number(m[2])), `bytes of ${s.labels.element}`);
      }
      if ((e.get("nfprom_set_elements_repeated", where) ?? 0n) > 0n) tornScrapes++;
    }
  } finally {
    writeFileSync(stopFile, "");
  }
  assert.equal(await growExit, 0);
  assert.ok(
    tornScrapes > 0,
    "no dump of the growing set repeated an element: the test did not race the kernel",
  );

  // Quiet again: one clean dump, exactly the kernel's set.
  const e = parseExposition((await nf.scrape()).body);
  const oracle = await readSet(ns, "clients");
  assert.equal(e.get("nfprom_set_elements_repeated", where), 0n);
  assert.equal(e.get("nfprom_set_elements", where), BigInt(oracle.length));
  assert.equal(e.byName("nfprom_set_element_packets_total").length, oracle.length);
  for (const el of oracle.slice(0, 500)) {
    const labels = { ...where, element: el.key };
    assert.equal(e.get("nfprom_set_element_packets_total", labels), el.packets, el.key);
    assert.equal(e.get("nfprom_set_element_bytes_total", labels), el.bytes, el.key);
  }
  t.diagnostic(
    `scrapes with repeats during growth: ${tornScrapes} of ${SCRAPES}; elements after: ${oracle.length}`,
  );
});
