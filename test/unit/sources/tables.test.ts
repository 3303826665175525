import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ParseResult, parseArgs } from "../../../src/cli/flags.js";
import { ErrorCodes } from "../../../src/errors.js";
import { SourceRunner } from "../../../src/sources/runner.js";
import { parseTablePattern, tablesSlice } from "../../../src/sources/tables/slice.js";
import { tableFromMessage, tablesRequest, tablesSource } from "../../../src/sources/tables/source.js";
import { FakeKernel } from "../helpers/fake-kernel.js";
import { loadFixture } from "../helpers/fixtures.js";
import { fixtureMessages } from "../helpers/messages.js";
import { itemsFromNftJson } from "../helpers/nft-json.js";

/**
 * The tables source over a real GETTABLE dump (test/fixtures/sources/tables.json), judged by what nft
 * listed from the same ruleset: its tables, and the chains, sets and objects each holds.
 */
const FIXTURE = "sources/tables";
const never = () => false;

/** What `nft -j list ruleset` said: per family/table, its named chains, sets and stateful objects. */
function nftOracle(): Map<string, number> {
  const { nft } = loadFixture(FIXTURE) as unknown as { nft: string };
  const held = new Map<string, number>();
  for (const entry of (JSON.parse(nft) as { nftables: Record<string, Record<string, string>>[] }).nftables) {
    const [type, o] = Object.entries(entry)[0] as [string, Record<string, string>];
    if (type === "table") held.set(`${o.family}/${o.name}`, held.get(`${o.family}/${o.name}`) ?? 0);
    else if (["chain", "set", "map", "counter", "quota", "limit", "flowtable"].includes(type)) {
      const key = `${o.family}/${o.table}`;
      held.set(key, (held.get(key) ?? 0) + 1);
    }
  }
  return held;
}

async function collect(...patterns: string[]) {
  const source = tablesSource(patterns.map(parseTablePattern));
  const runner = new SourceRunner(source, {
    recvTimeoutMs: 1_000,
    openSocket: new FakeKernel([FIXTURE]).open,
  });
  return (await runner.collect(never)).tables ?? [];
}

describe("tables source over a captured GETTABLE dump", () => {
  test("its request is byte for byte the one the kernel answered", () => {
    const { seq, hex } = loadFixture(FIXTURE).request;
    assert.equal(tablesRequest(seq).toString("hex"), hex);
  });

  test("every table of every family with its use count, as nft lists the ruleset", async () => {
    const tables = await collect("*");
    const held = nftOracle();
    assert.deepEqual(new Set(tables.map((t) => `${t.family}/${t.table}`)), new Set(held.keys()));
    for (const t of tables) assert.equal(t.use, held.get(`${t.family}/${t.table}`), `${t.family}/${t.table}`);
    // The rule's anonymous set is not in the use count: the kernel counts only named sets.
    assert.equal(tables.find((t) => t.table === "fw")?.use, 4);
  });

  test("dormant only for the table loaded with flags dormant; the comment decoded from its userdata", async () => {
    const byName = new Map((await collect("*")).map((t) => [t.table, t]));
    assert.equal(byName.get("off")?.dormant, true);
    assert.equal(byName.get("fw")?.dormant, false);
    assert.equal(byName.get("empty")?.dormant, false);
    assert.equal(byName.get("fw")?.comment, "nft(zone=edge)");
    assert.equal(byName.get("off")?.comment, undefined);
  });

  test("patterns select by family and table glob", async () => {
    const names = async (...p: string[]) => (await collect(...p)).map((t) => `${t.family}/${t.table}`);
    assert.deepEqual(await names("ip/*"), ["ip/off"]);
    assert.deepEqual(await names("fw", "ip6/e*"), ["inet/fw", "ip6/empty"]);
    assert.deepEqual(await names("inet/off"), []);
  });

  test("a message that is not NEWTABLE is a decode error", () => {
    const { messages } = fixtureMessages("sources/objects");
    assert.throws(
      () => tableFromMessage(messages[0] as (typeof messages)[number]),
      (err: { code?: string }) => err.code === ErrorCodes.DECODE,
    );
  });
});

test("parseTablePattern reads [family/]table and refuses the rest", () => {
  const p = parseTablePattern("inet/f?");
  assert.equal(p.text, "inet/f?");
  assert.ok(p.table("fw") && !p.table("off"));
  assert.equal(parseTablePattern("fw").family, undefined);
  for (const bad of ["", "a/b/c", "inet/", "nosuchfamily/fw"])
    assert.throws(() => parseTablePattern(bad), bad);
});

test("nfprom check: the same table items from the kernel read and from nft -j, comments from the kernel's", async () => {
  const parsed = parseArgs(["check", "-tables", "*"]);
  assert.equal(parsed.kind, "run");
  const config = (parsed as Extract<ParseResult, { kind: "run" }>).config;
  const { nft } = loadFixture(FIXTURE) as unknown as { nft: string };
  const fromKernel = tablesSlice.items({ tables: await collect("*") });
  const fromJson = itemsFromNftJson(nft, config);
  assert.deepEqual(
    fromJson.map((i) => [i.kind, i.item, i.identity]),
    fromKernel.map((i) => [i.kind, i.item, i.identity]),
  );
  assert.deepEqual(
    fromKernel.map((i) => i.comment),
    ["nft(zone=edge)", undefined, undefined],
  );
});
