import assert from "node:assert/strict";
import { test } from "node:test";
import { deserialize, serialize } from "node:v8";
import { packRules, sameStructure, unpackRules } from "../../../src/ipc/packed-rules.js";
import { type ReadReply, toWire } from "../../../src/ipc/protocol.js";
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

test("unpackRules(packRules(rules)) is the rules, field for field (u64 extremes, absent fields)", () => {
  assert.deepEqual(unpackRules(packRules(RULES)), RULES);
  assert.deepEqual(unpackRules(packRules([])), []);
});

test("a snapshot reply survives the structured clone of the IPC channel exactly", () => {
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
      rules: RULES,
      derivedLabels: ["address", "port"],
    },
    stats: { dumpInterrupted: 0, readErrors: {}, residentBytes: 1, cpuSeconds: 0.5 },
  };
  const wire = toWire(reply);
  assert.deepEqual(deserialize(serialize(wire)), wire);
  assert.ok(wire.type === "snapshot");
  assert.deepEqual(unpackRules(wire.snapshot.rules), RULES);
  assert.deepEqual(wire.snapshot.derivedLabels, ["address", "port"]);
});

test("error replies pass unchanged", () => {
  const reply: ReadReply = {
    type: "error",
    id: 1,
    error: { code: "NFPROM_TIMEOUT", message: "late" },
    stats: { dumpInterrupted: 1, readErrors: { NFPROM_TIMEOUT: 1 }, residentBytes: 1, cpuSeconds: 0 },
  };
  assert.equal(toWire(reply), reply);
  assert.deepEqual(deserialize(serialize(reply)), reply);
});

test("sameStructure: only counter values may differ", () => {
  const base = packRules(RULES);
  const differs = (change: (r: RuleCounters, i: number) => RuleCounters) =>
    !sameStructure(base, packRules(RULES.map((r, i) => change({ ...r }, i))));
  assert.ok(sameStructure(base, packRules(RULES.map((r) => ({ ...r })))));
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
  assert.ok(!sameStructure(base, packRules(RULES.slice(1))), "a rule fewer");
});
