import assert from "node:assert/strict";
import { test } from "node:test";
import { SendBacklog } from "../../../src/web/backlog.js";

test("SendBacklog: above the bound, the responses that progressed least recently are evicted first", () => {
  let now = 0;
  const backlog = new SendBacklog(100, () => now);
  const evicted: string[] = [];
  const ticket = (name: string) => backlog.track(() => evicted.push(name));
  const stalled = ticket("stalled");
  stalled.queued(40);
  now = 10;
  const reader = ticket("reader");
  reader.queued(40);
  now = 20;
  reader.sent(30); // the reader takes its bytes: its progress is recent
  const newcomer = ticket("newcomer");
  newcomer.queued(30);
  assert.equal(backlog.totalBytes, 80);
  assert.deepEqual(evicted, []);
  now = 30;
  newcomer.queued(50); // 130 > 100: the stalled one goes (40), 90 remain
  assert.deepEqual(evicted, ["stalled"]);
  assert.equal(backlog.totalBytes, 90);
  assert.equal(backlog.evictions, 1);
  stalled.sent(40); // a late callback of an evicted response changes nothing
  stalled.close();
  assert.equal(backlog.totalBytes, 90);
  newcomer.close();
  reader.close();
  assert.equal(backlog.totalBytes, 0);
});

test("SendBacklog: a response alone above the bound is evicted; responses without bytes never are", () => {
  const backlog = new SendBacklog(10, () => 0);
  const evicted: string[] = [];
  const idle = backlog.track(() => evicted.push("idle"));
  const big = backlog.track(() => evicted.push("big"));
  big.queued(11);
  assert.deepEqual(evicted, ["big"]);
  assert.equal(backlog.totalBytes, 0);
  idle.close();
});
