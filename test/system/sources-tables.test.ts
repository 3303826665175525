// Tables on the real kernel: two tables, one made dormant and woken again while nfprom runs, another
// given an object; every scrape's values compared with what nft lists right after it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  accountingRuleset,
  type Exposition,
  Netns,
  parseExposition,
  parseNftJson,
  promtoolCheck,
  requireRoot,
  startNfprom,
} from "./harness.js";

/** A second table beside the accounting one: a comment, a base chain that drops forwarded packets, a set. */
const LAB = `table ip lab {
  comment "nft(owner=ops)"
  set blocked { type ipv4_addr; }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ip saddr @blocked counter
  }
}
`;

interface OracleTable {
  family: string;
  table: string;
  dormant: boolean;
  /** Its chains, sets and stateful objects, as `nft -j list ruleset` lists them: the kernel's use count. */
  held: number;
}

/** The tables of `nft -j list tables`, what each holds by `nft -j list ruleset`, and `nft list table`'s flags. */
async function readTables(ns: Netns): Promise<OracleTable[]> {
  const items = (raw: string) =>
    (parseNftJson(raw) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
  const tables = items(await ns.nftCmd(["-j", "list", "tables"]))
    .filter((i) => i.table)
    .map(({ table: t }) => ({ family: String(t?.family), table: String(t?.name), dormant: false, held: 0 }));
  const held = ["chain", "set", "map", "counter", "quota", "limit", "flowtable"];
  for (const entry of items(await ns.nftCmd(["-j", "list", "ruleset"]))) {
    const [type, o] = Object.entries(entry)[0] as [string, Record<string, unknown>];
    const t = tables.find((x) => x.family === o.family && x.table === o.table);
    if (t && held.includes(type)) t.held++;
  }
  for (const t of tables) {
    // nft 1.0.6's JSON prints a dormant table's flags as garbage; its text form is right.
    const text = await ns.nftCmd(["list", "table", t.family, t.table]);
    t.dormant = /^\s*flags dormant$/m.test(text);
  }
  return tables;
}

/** assertMatches: one series of each family per table, equal to what nft listed. */
function assertMatches(e: Exposition, oracle: OracleTable[], comments: Record<string, string>): void {
  assert.deepEqual(e.duplicates, []);
  for (const name of ["nfprom_table_dormant", "nfprom_table_use"]) {
    assert.deepEqual(
      e
        .byName(name)
        .map((s) => `${s.labels.family}/${s.labels.table}`)
        .sort(),
      oracle.map((t) => `${t.family}/${t.table}`).sort(),
      name,
    );
  }
  for (const t of oracle) {
    const labels = { family: t.family, table: t.table, owner: comments[t.table] ?? "" };
    assert.equal(e.get("nfprom_table_dormant", labels), t.dormant ? 1n : 0n, `${t.table} dormant`);
    assert.equal(e.get("nfprom_table_use", labels), BigInt(t.held), `${t.table} use`);
  }
}

test("tables: dormant and use count follow the ruleset while running, as nft lists them", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("src-tables", { t });
  await ns.nft(accountingRuleset(['tcp dport 22 counter comment "nft(service=ssh)"']) + LAB);
  const nf = await startNfprom(ns, ["-tables", "*"]);
  const comments = { lab: "ops" };
  const scrape = async () => {
    const res = await nf.scrape();
    assert.equal(res.status, 200);
    assert.equal((await promtoolCheck(res.body)).code, 0);
    return parseExposition(res.body);
  };

  let e = await scrape();
  let oracle = await readTables(ns);
  assert.equal(oracle.length, 2);
  assert.ok(oracle.every((x) => !x.dormant && x.held > 0));
  assertMatches(e, oracle, comments);
  assert.equal(e.get("nfprom_source_success", { source: "tables" }), 1n);
  assert.equal(e.get("nfprom_comments_rejected", { kind: "table" }), 0n);

  await ns.nftCmd(["add", "table", "ip", "lab", "{", "flags", "dormant", ";", "}"]);
  e = await scrape();
  oracle = await readTables(ns);
  assert.deepEqual(
    oracle.filter((x) => x.dormant).map((x) => x.table),
    ["lab"],
  );
  assertMatches(e, oracle, comments);
  // The accounting chain's own series are untouched by the other table's state.
  assert.ok(e.byName("nfprom_bytes_total").length === 1);

  await ns.nftCmd(["add", "table", "ip", "lab"]); // without `flags dormant`: awake again
  await ns.nftCmd(["add", "counter", "ip", "lab", "late"]);
  e = await scrape();
  oracle = await readTables(ns);
  assert.ok(oracle.every((x) => !x.dormant));
  assertMatches(e, oracle, comments);
});
