// Set elements with counters on the real kernel: a dynamic set filled by `update @set` from traffic, an
// interval set, values compared with `nft -j list set` read right after the scrape; elements removed
// while nfprom runs disappear; the per-set cap leaves elements out and says how many.
import assert from "node:assert/strict";
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

/** `nft -j list set inet firewall NAME`: element keys in nft's words (address, prefix, range) and counters. */
async function readSet(ns: Netns, name: string): Promise<OracleElement[]> {
  const raw = await ns.nftCmd(["-j", "list", "set", "inet", "firewall", name]);
  type Elem = { elem: { val: unknown; counter: { bytes: unknown; packets: unknown } } };
  const doc = parseNftJson(raw) as { nftables: { set?: { elem?: Elem[] } }[] };
  const elems = doc.nftables.find((i) => i.set)?.set?.elem ?? [];
  return elems.map(({ elem }) => ({
    key: keyText(elem.val),
    bytes: u64(elem.counter.bytes),
    packets: u64(elem.counter.packets),
  }));
}

function keyText(val: unknown): string {
  if (typeof val === "string" || typeof val === "number") return String(val);
  const v = val as { prefix?: { addr: string; len: number }; range?: [string, string] };
  if (v.prefix) return `${v.prefix.addr}/${v.prefix.len}`;
  if (v.range) return `${v.range[0]}-${v.range[1]}`;
  throw new Error(`unexpected element ${JSON.stringify(val)}`);
}

function setsRuleset(port: number): string {
  const sets = [
    "  set clients { type ipv4_addr; flags dynamic; counter; }",
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
