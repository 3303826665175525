import assert from "node:assert/strict";
import { test } from "node:test";
import { u64Column, u64Words } from "../../../src/model/columns.js";

const VALUES = [0n, 1n, 2n ** 32n, 2n ** 64n - 1n, 123_456_789_012_345n];

test("u64Column undoes u64Words: a view when the words sit on 8 bytes, else an exact copy", () => {
  const column = BigUint64Array.from(VALUES);
  const words = u64Words(column);
  const view = u64Column(words);
  assert.deepEqual([...view], VALUES);
  assert.equal(view.buffer, column.buffer, "aligned words are viewed, not copied");

  // Words at an offset of 4 bytes, as a message may place them: a BigUint64Array cannot view them.
  const shifted = new Uint32Array(new ArrayBuffer(4 + words.byteLength), 4, words.length);
  shifted.set(words);
  const copy = u64Column(shifted);
  assert.deepEqual([...copy], VALUES);
  assert.notEqual(copy.buffer, shifted.buffer);
});
