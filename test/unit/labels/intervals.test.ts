import assert from "node:assert/strict";
import { test } from "node:test";
import { intervalsOf } from "../../../src/labels/intervals.js";
import { NFT_SET_ELEM_INTERVAL_END } from "../../../src/nftables/constants.js";
import type { SetElement } from "../../../src/nftables/setelem.js";

/** A one-byte boundary: start, or end when `end` (the first key past its range). */
const at = (key: number, end = false): SetElement => ({
  key: Buffer.from([key]),
  keyEnd: undefined,
  flags: end ? NFT_SET_ELEM_INTERVAL_END : 0,
});
const ranges = (boundaries: SetElement[]) =>
  intervalsOf(boundaries).map(({ start, last }) => [start.key[0], last === undefined ? "max" : Number(last)]);

test("an end closes the range before it; boundaries come in any order", () => {
  assert.deepEqual(ranges([at(20, true), at(10), at(50, true), at(40)]), [
    [10, 19],
    [40, 49],
  ]);
  assert.deepEqual(ranges([at(10), at(20, true), at(30)]), [
    [10, 19],
    [30, "max"],
  ]);
});

test("adjacent ranges: the end and the next start share a key, the end sorts first", () => {
  assert.deepEqual(ranges([at(20), at(10), at(20, true), at(30, true)]), [
    [10, 19],
    [20, 29],
  ]);
});

test("a start without its end runs up to the next start, as the kernel's lookup reads it", () => {
  assert.deepEqual(ranges([at(10), at(20), at(30, true)]), [
    [10, 19],
    [20, 29],
  ]);
});
