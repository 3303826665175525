import assert from "node:assert/strict";
import { test } from "node:test";
import type { NamedCounter } from "../../../src/model/snapshot.js";
import { counterColumns, setColumns } from "../../../src/model/source-columns.js";

const U64_MAX = 2n ** 64n - 1n;

test("counterColumns: a table listed once per run of its objects; exact u64 values; no spare room", () => {
  const tables = [
    { family: "inet", table: "a" },
    { family: "ip", table: "a" },
    { family: "inet", table: "b" },
  ];
  const counters: NamedCounter[] = Array.from({ length: 1000 }, (_, i) => ({
    ...(tables[Math.floor(i / 400)] as (typeof tables)[number]),
    name: `c${i}`,
    comment: i % 2 ? `nft(i=${i})` : undefined,
    bytes: U64_MAX - BigInt(i),
    packets: BigInt(i),
  }));
  const c = counterColumns(counters);
  assert.deepEqual(c.tables, tables);
  assert.deepEqual(
    [...c.tableOf],
    counters.map((_, i) => Math.floor(i / 400)),
  );
  assert.deepEqual(
    c.names,
    counters.map((x) => x.name),
  );
  assert.deepEqual(
    c.comments,
    counters.map((x) => x.comment),
  );
  assert.deepEqual(
    [...c.numbers],
    counters.flatMap((x) => [x.bytes, x.packets]),
  );
  assert.equal(c.numbers.buffer.byteLength, 1000 * 16);
});

test("setColumns: the set's identity and its elements in order", () => {
  const elements = Array.from({ length: 300 }, (_, i) => ({
    key: `10.0.${i >> 8}.${i & 255}`,
    comment: undefined,
    bytes: BigInt(i) * 100n,
    packets: BigInt(i),
  }));
  const s = setColumns({ family: "inet", table: "t", name: "s", size: 310, leftOut: 10, elements });
  assert.deepEqual(
    { ...s, keys: s.keys.length, numbers: [...s.numbers].slice(-2) },
    {
      family: "inet",
      table: "t",
      name: "s",
      size: 310,
      maxSize: 0,
      leftOut: 10,
      repeated: 0,
      keys: 300,
      comments: s.comments,
      numbers: [29900n, 299n],
    },
  );
  assert.deepEqual(
    s.keys,
    elements.map((e) => e.key),
  );
});
