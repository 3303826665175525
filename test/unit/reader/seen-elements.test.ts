import assert from "node:assert/strict";
import { test } from "node:test";
import type { SetElement } from "../../../src/nftables/setelem.js";
import { SeenElements } from "../../../src/reader/sources/seen-elements.js";

const ipv4 = (n: number): SetElement => {
  const key = Buffer.alloc(4);
  key.writeUInt32BE(n >>> 0);
  return { key, keyEnd: undefined, flags: 0 };
};

test("SeenElements: every IPv4 key once, through the table's growth, 0.0.0.0 and 255.255.255.255 included", () => {
  const seen = new SeenElements();
  const keys = [0, 0xffffffff, ...Array.from({ length: 50_000 }, (_, i) => (0x0a000000 + i * 7919) >>> 0)];
  for (const k of keys) assert.equal(seen.add(ipv4(k)), true, `first ${k}`);
  for (const k of keys) assert.equal(seen.add(ipv4(k)), false, `repeat ${k}`);
  assert.equal(seen.add(ipv4(0x0b000000)), true);
});

test("SeenElements: other keys by their bytes, flags and end; an interval's end is not its start", () => {
  const seen = new SeenElements();
  const v6 = Buffer.from("20010db8000000000000000000000001", "hex");
  const start: SetElement = { key: Buffer.from([10, 0, 0, 0]), keyEnd: undefined, flags: 0 };
  const end: SetElement = { key: Buffer.from([10, 0, 0, 0]), keyEnd: undefined, flags: 1 };
  const range: SetElement = { key: Buffer.from([10, 0, 0, 0]), keyEnd: Buffer.from([10, 0, 0, 9]), flags: 0 };
  for (const e of [start, end, range, { key: v6, keyEnd: undefined, flags: 0 }])
    assert.equal(seen.add(e), true);
  assert.equal(seen.add({ key: Buffer.from(v6), keyEnd: undefined, flags: 0 }), false);
  assert.equal(seen.add({ ...end, key: Buffer.from([10, 0, 0, 0]) }), false);
  assert.equal(seen.add({ ...range }), false);
});
