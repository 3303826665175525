import assert from "node:assert/strict";
import { test } from "node:test";
import { deserialize, serialize } from "node:v8";
import { ColumnElider, ColumnRestorer } from "../../../src/ipc/elision.js";
import { toWire, type WireReadReply } from "../../../src/ipc/protocol.js";
import { columnsFromRules } from "../../../src/model/rule-columns.js";
import type { Snapshot } from "../../../src/model/snapshot.js";
import { counterColumns, setColumns } from "../../../src/model/source-columns.js";
import { NO_STATS, ruleSnapshot } from "../helpers/snapshot.js";

const N = 1000;
function snapshot(values: bigint, comment = (i: number) => `nft(i=${i})`): Snapshot {
  const where = { family: "inet", table: "t" };
  return {
    ...ruleSnapshot(N, comment, () => values),
    counters: counterColumns(
      Array.from({ length: N }, (_, i) => ({
        ...where,
        name: `c${i}`,
        comment: undefined,
        bytes: values,
        packets: 1n,
      })),
    ),
    sets: ["a", "b"].map((name) =>
      setColumns({
        ...where,
        name,
        size: N,
        leftOut: 0,
        elements: Array.from({ length: N }, (_, i) => ({
          key: `${name}${i}`,
          comment: undefined,
          bytes: values,
          packets: 1n,
        })),
      }),
    ),
    sources: [],
  };
}

/** The channel: elide on the reader's side, structured clone, restore on the web's side. */
function channel() {
  const elider = new ColumnElider();
  const restorer = new ColumnRestorer();
  return (s: Snapshot) => {
    const sent = deserialize(
      serialize(elider.elide(toWire({ type: "snapshot", id: 1, snapshot: s, stats: NO_STATS }))),
    ) as WireReadReply;
    const elided = sent.type === "snapshot" ? (sent.snapshot.elided ?? []) : [];
    restorer.restore(sent);
    return { sent, elided };
  };
}

const expected = (s: Snapshot) => toWire({ type: "snapshot", id: 1, snapshot: s, stats: NO_STATS });

test("unchanged columns are left out and put back; changed ones travel; every reply arrives whole", () => {
  const send = channel();
  const first = send(snapshot(1n));
  assert.deepEqual(first.elided, []);
  assert.deepEqual(first.sent, expected(snapshot(1n)));
  const second = send(snapshot(2n));
  assert.deepEqual(second.elided.sort(), [
    "counters.comments",
    "counters.names",
    "rules.comments",
    "sets.inet.t.a.comments",
    "sets.inet.t.a.keys",
    "sets.inet.t.b.comments",
    "sets.inet.t.b.keys",
  ]);
  assert.deepEqual(second.sent, expected(snapshot(2n)));
  const renamed = snapshot(3n, (i) => (i === 999 ? "nft(changed=1)" : `nft(i=${i})`));
  const third = send(renamed);
  assert.ok(!third.elided.includes("rules.comments"));
  assert.deepEqual(third.sent, expected(renamed));
  assert.deepEqual(send(renamed).sent, expected(renamed), "and the changed column is the one kept");
});

test("eliding a column of the wire form leaves the snapshot's own column alone", () => {
  const send = channel();
  const s = snapshot(1n);
  send(s);
  assert.ok(send(s).elided.includes("rules.comments"));
  assert.equal(s.rules.comments.length, N, "the reader may answer the same snapshot again");
});

test("sets are matched by name, not position; small columns always travel", () => {
  const send = channel();
  send(snapshot(1n));
  const swapped = snapshot(1n);
  swapped.sets?.reverse();
  const { sent, elided } = send(swapped);
  assert.ok(elided.includes("sets.inet.t.a.keys"));
  assert.deepEqual(sent, expected(swapped));
  const small: Snapshot = {
    ...snapshot(1n),
    rules: columnsFromRules([]),
    counters: counterColumns([]),
    sets: [],
  };
  assert.deepEqual(send(small).elided, []);
  assert.deepEqual(send(small).elided, []);
});

test("a fresh restorer cannot fill an elided column: it says so instead of inventing one", () => {
  const elider = new ColumnElider();
  const wire = (v: bigint) =>
    elider.elide(toWire({ type: "snapshot", id: 1, snapshot: snapshot(v), stats: NO_STATS }));
  wire(1n);
  assert.throws(() => new ColumnRestorer().restore(wire(2n)), /no earlier copy/);
});
