import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeReaderMessage,
  encodeReaderMessage,
  fromWire,
  type ReadReply,
  toWire,
} from "../../../src/ipc/protocol.js";
import {
  columnsFromRules,
  concatColumns,
  type RuleColumns,
  RuleColumnsBuilder,
  rulesFromColumns,
  sameStructure,
} from "../../../src/model/rule-columns.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";

const MAX_U64 = 2n ** 64n - 1n;

const RULES: RuleCounters[] = [
  { family: 1, handle: 2n, comment: "nft(a=b)", bytes: MAX_U64, packets: 2n ** 63n + 5n },
  { family: 2, handle: 3n, comment: undefined, bytes: undefined, packets: undefined },
  { family: 10, handle: MAX_U64, comment: 'nft(x=ü\\"\n)', bytes: 0n, packets: 0n },
  { family: 1, handle: 4n, comment: "nft(c=d)", bytes: undefined, packets: undefined, countsInObject: true },
  {
    family: 1,
    handle: 5n,
    comment: "nft(e=f)",
    bytes: 1n,
    packets: 1n,
    derived: ["10.0.0.0/8", ""],
    location: { family: "inet", table: "t", chain: "c" },
  },
];

test("rulesFromColumns(columnsFromRules(rules)) is the rules, field for field (u64 extremes, absent fields)", () => {
  assert.deepEqual(rulesFromColumns(columnsFromRules(RULES)), RULES);
  assert.deepEqual(rulesFromColumns(columnsFromRules([])), []);
});

test("a snapshot reply survives the link's V8 serialization exactly", () => {
  const reply: ReadReply = {
    type: "snapshot",
    id: 7,
    snapshot: {
      family: "inet",
      table: "t",
      chain: "c",
      readAtMs: 1,
      readDurationMs: 2,
      attempts: 1,
      rules: columnsFromRules(RULES),
      derivedLabels: ["address", "port"],
    },
    stats: {
      retries: { dump_interrupted: 0, ruleset_changed: 0 },
      staleServed: { ruleset_changing: 0, timeout: 0 },
      readErrors: {},
      residentBytes: 1,
      cpuSeconds: 0.5,
    },
  };
  const wire = toWire(reply);
  const received = decodeReaderMessage(encodeReaderMessage(wire)) as typeof wire;
  assert.deepEqual(received, wire);
  assert.ok(wire.type === "snapshot" && received.type === "snapshot");
  // The 64-bit column travels as its 32-bit words (a view on arrival, not a value-by-value copy).
  assert.ok(wire.snapshot.rules.numbers instanceof Uint32Array);
  const back = fromWire(received);
  assert.ok(back.type === "snapshot");
  assert.ok(back.snapshot.rules.numbers instanceof BigUint64Array);
  assert.deepEqual(rulesFromColumns(back.snapshot.rules), RULES);
  assert.deepEqual(back.snapshot.derivedLabels, ["address", "port"]);
  assert.equal("elided" in back.snapshot, false);
});

test("error replies pass unchanged", () => {
  const reply: ReadReply = {
    type: "error",
    id: 1,
    error: { code: "NFPROM_TIMEOUT", message: "late" },
    stats: {
      retries: { dump_interrupted: 1, ruleset_changed: 0 },
      staleServed: { ruleset_changing: 0, timeout: 0 },
      readErrors: { NFPROM_TIMEOUT: 1 },
      residentBytes: 1,
      cpuSeconds: 0,
    },
  };
  assert.equal(toWire(reply), reply);
  assert.deepEqual(decodeReaderMessage(encodeReaderMessage(reply)), reply);
});

test("sameStructure: only counter values may differ", () => {
  const base = columnsFromRules(RULES);
  const differs = (change: (r: RuleCounters, i: number) => RuleCounters) =>
    !sameStructure(base, columnsFromRules(RULES.map((r, i) => change({ ...r }, i))));
  assert.ok(sameStructure(base, columnsFromRules(RULES.map((r) => ({ ...r })))));
  assert.ok(!differs((r) => (r.bytes === undefined ? r : { ...r, bytes: r.bytes ^ 1n, packets: 7n })));
  assert.ok(
    differs((r, i) => (i === 2 ? { ...r, handle: r.handle - 1n } : r)),
    "handle",
  );
  assert.ok(
    differs((r, i) => (i === 0 ? { ...r, comment: "nft(a=c)" } : r)),
    "comment",
  );
  assert.ok(
    differs((r, i) => (i === 1 ? { ...r, bytes: 0n, packets: 0n } : r)),
    "counter added",
  );
  assert.ok(
    differs((r, i) => (i === 0 ? { ...r, countsInObject: true } : r)),
    "counts in an object",
  );
  assert.ok(
    differs((r, i) => (i === 4 ? { ...r, derived: ["10.0.0.0/8", "22"] } : r)),
    "derived label",
  );
  assert.ok(
    differs((r, i) => (i === 4 ? { ...r, location: { family: "inet", table: "t", chain: "d" } } : r)),
    "chain",
  );
  assert.ok(!sameStructure(base, columnsFromRules(RULES.slice(1))), "a rule fewer");
});

test("concatColumns joins chains in order, each rule tagged with its chain, derived values kept", () => {
  const a = { family: "inet", table: "t", chain: "a" };
  const b = { family: "ip", table: "u", chain: "b" };
  const [first, second] = [RULES.slice(0, 2), RULES.slice(2)].map((r) =>
    columnsFromRules(r.map(({ location: _, ...rest }) => rest)),
  );
  const joined = concatColumns([
    { columns: first as RuleColumns, location: a },
    { columns: columnsFromRules([]), location: b },
    { columns: second as RuleColumns, location: b },
  ]);
  assert.deepEqual(
    rulesFromColumns(joined),
    RULES.map((r, i) => ({ ...r, location: i < 2 ? a : b })),
  );
});

test("RuleColumnsBuilder grows past its first room and finishes with exactly its rules", () => {
  const builder = new RuleColumnsBuilder();
  const rules: RuleCounters[] = Array.from({ length: 1000 }, (_, i) => ({
    family: 1 + (i % 3),
    handle: BigInt(i) + 2n ** 60n,
    comment: i % 7 ? `nft(i=${i})` : undefined,
    bytes: i % 5 ? BigInt(i) * 1000n : undefined,
    packets: i % 5 ? BigInt(i) : undefined,
  }));
  for (const r of rules) builder.addRule(r);
  const columns = builder.finish();
  assert.equal(columns.numbers.length, 3000);
  assert.equal(columns.families.buffer.byteLength, 1000, "no spare room is cloned to the web process");
  assert.deepEqual(rulesFromColumns(columns), rules);
});

test("RuleColumnsBuilder of the right size finishes with its own columns; of another, with exact copies", () => {
  const rules: RuleCounters[] = Array.from({ length: 300 }, (_, i) => ({
    family: 1,
    handle: BigInt(i + 2),
    comment: `nft(i=${i})`,
    bytes: BigInt(i),
    packets: 1n,
  }));
  for (const [capacity, own] of [
    [300, true],
    [299, false],
    [301, false],
    [0, false],
  ] as const) {
    const builder = new RuleColumnsBuilder(capacity);
    const allocated = builder.numbers;
    for (const r of rules) builder.addRule(r);
    const columns = builder.finish();
    assert.equal(columns.numbers === allocated, own, `capacity ${capacity}`);
    assert.equal(columns.numbers.buffer.byteLength, 300 * 24, `capacity ${capacity}: exactly the rules`);
    assert.deepEqual(rulesFromColumns(columns), rules);
  }
});
