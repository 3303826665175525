import assert from "node:assert/strict";
import { test } from "node:test";
import { ColumnElider } from "../../../src/ipc/elision.js";
import { MAX_PENDING_READS, type ReadRequest, toWire } from "../../../src/ipc/protocol.js";
import { ReaderClient } from "../../../src/web/reader-client.js";
import { NO_STATS, ruleSnapshot } from "../helpers/snapshot.js";

const snapshot = (comment: string) => ruleSnapshot(500, () => comment);

test("a reply that comes after its read gave up still counts: the next reply's left-out columns are its", async () => {
  const requests: ReadRequest[] = [];
  const client = new ReaderClient((msg) => requests.push(msg));
  const elider = new ColumnElider();
  const reply = (id: number, comment: string) =>
    elider.elide(toWire({ type: "snapshot", id, snapshot: snapshot(comment), stats: NO_STATS }));

  client.deliver(reply(0, "nft(a=1)"));
  const late = await client.read(1);
  assert.equal(late.type, "lost", "no answer within 1 ms + grace");
  client.deliver(reply(requests[0]?.id ?? -1, "nft(a=2)"));
  const next = client.read(1000);
  const elided = reply(requests[1]?.id ?? -1, "nft(a=2)");
  assert.deepEqual(elided.type === "snapshot" && elided.snapshot.elided, ["rules.comments"]);
  client.deliver(elided);
  const answer = await next;
  assert.ok(answer.type === "snapshot");
  assert.deepEqual(new Set(answer.snapshot.rules.comments), new Set(["nft(a=2)"]));
});

test(`never more than ${MAX_PENDING_READS} requests unanswered: further reads share the newest one's reply`, async () => {
  const requests: ReadRequest[] = [];
  const client = new ReaderClient((msg) => requests.push(msg));
  const reads = Array.from({ length: 10 }, () => client.read(1000));
  assert.deepEqual(
    requests.map((r) => r.id),
    [0, 1, 2, 3],
  );
  const reply = (id: number) =>
    toWire({ type: "snapshot", id, snapshot: snapshot("nft(a=1)"), stats: NO_STATS });
  for (const id of [0, 1, 2, 3]) client.deliver(reply(id));
  const answers = await Promise.all(reads);
  assert.deepEqual(
    answers.map((a) => (a.type === "snapshot" ? a.id : a.type)),
    [0, 1, 2, 3, 3, 3, 3, 3, 3, 3],
  );
  // Each read gets its own copy of the reply's holders.
  assert.notEqual(answers[4], answers[5]);
});

test("a request whose reads gave up still holds its slot until its reply arrives", async () => {
  const requests: ReadRequest[] = [];
  const client = new ReaderClient((msg) => requests.push(msg));
  const late = await Promise.all(Array.from({ length: MAX_PENDING_READS }, () => client.read(1)));
  assert.ok(late.every((a) => a.type === "lost"));
  const waiting = client.read(1000);
  assert.equal(requests.length, MAX_PENDING_READS, "no fifth request while four are unanswered");
  client.deliver(toWire({ type: "snapshot", id: 0, snapshot: snapshot("x"), stats: NO_STATS }));
  const next = client.read(1000);
  assert.equal(requests.length, MAX_PENDING_READS + 1, "the answered one's slot is free again");
  for (const r of requests.slice(1))
    client.deliver(toWire({ type: "snapshot", id: r.id, snapshot: snapshot("x"), stats: NO_STATS }));
  assert.equal((await waiting).type, "snapshot");
  assert.equal((await next).type, "snapshot");
});
