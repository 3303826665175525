import assert from "node:assert/strict";
import { test } from "node:test";
import { ExpositionWriter, releasePiece } from "../../../src/exposition/writer.js";

const words = (values: bigint[]) => new Uint32Array(BigUint64Array.from(values).buffer);

test("u64 prints every magnitude exactly: digit boundaries, 2^53 ± 1, 2^64 − 1", () => {
  const values = [0n, 1n, 9n, 10n, 99n, 100n, 4294967295n, 4294967296n, 10n ** 15n - 1n, 10n ** 15n];
  values.push(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 16n, 2n ** 63n + 5n, 2n ** 64n - 1n);
  for (let i = 0; i < 2000; i++)
    values.push(BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 53)) << BigInt(i % 12)));
  const out = new ExpositionWriter(1024);
  const w = words(values);
  values.forEach((_, i) => {
    out.u64(w, i);
    out.byte(0x0a);
  });
  assert.deepEqual(String(out.finish()).split("\n").slice(0, -1), values.map(String));
});

test("text and bytes grow the buffer as needed, UTF-8 intact", () => {
  const out = new ExpositionWriter(1024);
  const line = 'x{owner="日本",emoji="📈"} ';
  for (let i = 0; i < 5000; i++) {
    out.text(line);
    out.byte(0x0a);
  }
  assert.equal(String(out.finish()), `${line}\n`.repeat(5000));
  assert.equal(String(new ExpositionWriter().finish()), "");
});

test("a piece given back (releasePiece) takes a later piece; foreign or twice-given buffers are refused", () => {
  const out = new ExpositionWriter(100_000);
  out.text("first");
  const first = out.take();
  assert.equal(String(first), "first");
  releasePiece(first);
  releasePiece(first); // twice: still lent out once only
  releasePiece(Buffer.alloc(100_000)); // not the writer's
  const a = new ExpositionWriter(100_000);
  const b = new ExpositionWriter(100_000);
  a.text("second");
  b.text("third");
  const [second, third] = [a.take(), b.take()];
  assert.equal(second.buffer, first.buffer, "the given-back buffer is reused");
  assert.notEqual(third.buffer, first.buffer, "and lent once only");
  assert.equal(String(second), "second");
  assert.equal(String(third), "third");
});

test("pieces are sized in steps of 64 KiB, so one exposition's buffer fits the next one of about its size", () => {
  const out = new ExpositionWriter(1_000_000);
  out.text("one");
  const one = out.finish();
  assert.equal(one.buffer.byteLength % (64 * 1024), 0);
  releasePiece(one);
  const next = new ExpositionWriter(1_000_700); // the last length plus a few digits
  next.text("two");
  const two = next.finish();
  assert.equal(two.buffer, one.buffer, "the given-back buffer is reused");
  assert.equal(String(two), "two");
});
