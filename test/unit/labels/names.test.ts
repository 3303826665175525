import assert from "node:assert/strict";
import { test } from "node:test";
import { parseComment } from "../../../src/labels/comment.js";
import { commentLabels, mostUsed } from "../../../src/labels/names.js";

test("commentLabels: not nft(...) adds nothing; malformed or a bad key is refused with the reason", () => {
  assert.deepEqual(commentLabels(parseComment("just a note")), { kind: "none" });
  assert.deepEqual(commentLabels(parseComment("nft(a)")), {
    kind: "refused",
    reason: '"a" is not key=value',
  });
  assert.deepEqual(commentLabels(parseComment("nft(__x=1)")), {
    kind: "refused",
    reason: '"__x" uses the prefix __, reserved by Prometheus',
  });
});

test("commentLabels renames reserved and taken keys, and keeps the parsed map when nothing is renamed", () => {
  const parsed = parseComment("nft(svc=ssh;zone=a)");
  const plain = commentLabels(parsed);
  assert.ok(plain.kind === "labels" && parsed.kind === "labels");
  assert.equal(plain.labels, parsed.labels, "the same map: no copy per rule");
  assert.deepEqual(plain.renamed, []);
  const clash = commentLabels(parseComment("nft(job=x;name=y;svc=z)"), new Set(["name"]));
  assert.ok(clash.kind === "labels");
  assert.deepEqual(
    [...clash.labels],
    [
      ["exported_job", "x"],
      ["exported_name", "y"],
      ["svc", "z"],
    ],
  );
  assert.deepEqual(clash.renamed, ["job", "name"]);
});

test("mostUsed keeps the names most series use, ties by name", () => {
  const uses = new Map([
    ["b", 2],
    ["a", 2],
    ["c", 5],
    ["d", 1],
  ]);
  assert.deepEqual(mostUsed(uses, 2), ["c", "a"]);
  assert.deepEqual(mostUsed(uses, 0), []);
  assert.deepEqual(mostUsed(uses, 9), ["c", "a", "b", "d"]);
});
