import assert from "node:assert/strict";
import { test } from "node:test";
import { ColumnElider } from "../../../src/ipc/elision.js";
import { type ReadRequest, toWire } from "../../../src/ipc/protocol.js";
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
