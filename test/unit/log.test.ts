import assert from "node:assert/strict";
import { test } from "node:test";
import { RepeatLimit } from "../../src/log.js";

test("RepeatLimit: the first N of an interval are written, the rest counted and handed out once", () => {
  const limit = new RepeatLimit(3, 1000);
  const written = Array.from({ length: 10 }, (_, i) => limit.admit("read failed", i).write);
  assert.deepEqual(written, [true, true, true, false, false, false, false, false, false, false]);
  assert.deepEqual(limit.due(500), [], "the interval is not over");
  // Another kind has its own interval and quota.
  assert.equal(limit.admit("bad request", 600).write, true);
  assert.deepEqual(limit.due(1000), [["read failed", 7]]);
  assert.deepEqual(limit.due(1000), [], "a count is handed out once");
  assert.equal(limit.admit("read failed", 1001).suppressed, 0);
});

test("RepeatLimit: the next message after an interval reports the suppressed count when due was not asked", () => {
  const limit = new RepeatLimit(1, 1000);
  assert.deepEqual(limit.admit("k", 0), { write: true, firstSuppressed: false, suppressed: 0 });
  assert.deepEqual(limit.admit("k", 1), { write: false, firstSuppressed: true, suppressed: 0 });
  assert.deepEqual(limit.admit("k", 2), { write: false, firstSuppressed: false, suppressed: 0 });
  assert.deepEqual(limit.admit("k", 1500), { write: true, firstSuppressed: false, suppressed: 2 });
  assert.deepEqual(limit.due(2500), []);
  assert.equal(limit.pending, false);
});

test("RepeatLimit: 20,000 messages in one interval write N lines", () => {
  const limit = new RepeatLimit();
  let lines = 0;
  for (let i = 0; i < 20_000; i++) if (limit.admit("churn", i).write) lines++;
  assert.equal(lines, limit.perInterval);
});

test("RepeatLimit: kinds that come and go (a label per namespace) are forgotten once their interval is over", () => {
  const limit = new RepeatLimit(5, 1000);
  // A kind a second for an hour: as many failing namespaces, each seen once (no count left to hand out).
  for (let t = 0; t < 3_600_000; t += 1000 / 4) limit.admit(`netns read failed: ns-${t}`, t);
  assert.ok(limit.size <= 5, `${limit.size} kinds remembered`);
  // A kind with a count to hand out is kept until it is handed out.
  for (let i = 0; i < 7; i++) limit.admit("busy", 4_000_000 + i);
  limit.admit("other", 4_002_000);
  assert.deepEqual(limit.due(4_002_000), [["busy", 2]]);
});
