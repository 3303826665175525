import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ItemGroup, ItemLabelTexts } from "../../../src/labels/item-texts.js";

/** One group of named counters in table inet/t, item i commented by comment(i). */
function counters(n: number, comment: (i: number) => string | undefined): ItemGroup {
  return {
    id: "inet/t",
    base: [
      ["family", "inet"],
      ["table", "t"],
    ],
    itemLabel: "name",
    items: Array.from({ length: n }, (_, i) => `c${i}`),
    comments: Array.from({ length: n }, (_, i) => comment(i)),
    from: 0,
    to: n,
    at: 0,
  };
}

describe("ItemLabelTexts: -max-label-names", () => {
  test("within the limit every comment key is a label", () => {
    const { texts, rejected } = new ItemLabelTexts(5).render([counters(2, (i) => `nft(k${i}=v)`)], 2);
    assert.deepEqual(texts, [
      '{family="inet",k0="v",k1="",name="c0",table="t"}',
      '{family="inet",k0="",k1="v",name="c1",table="t"}',
    ]);
    assert.deepEqual(rejected, []);
  });

  test("beyond it: the most used keys stay, an item using another is exported by its identity and reported", () => {
    // family, table, name + room for 2 comment keys: "shared" (3 items) and "a" (2 items, before "b" by name).
    const comments = ["nft(shared=1)", "nft(shared=2;a=x)", "nft(shared=3;a=y)", "nft(b=z)"];
    const { texts, rejected } = new ItemLabelTexts(5).render([counters(4, (i) => comments[i])], 4);
    assert.deepEqual(texts, [
      '{a="",family="inet",name="c0",shared="1",table="t"}',
      '{a="x",family="inet",name="c1",shared="2",table="t"}',
      '{a="y",family="inet",name="c2",shared="3",table="t"}',
      '{a="",family="inet",name="c3",shared="",table="t"}',
    ]);
    assert.deepEqual(rejected, [
      {
        labels: { family: "inet", table: "t", name: "c3" },
        comment: "nft(b=z)",
        reason: 'label name "b" beyond -max-label-names (5)',
        at: 3,
      },
    ]);
  });

  test("5,000 items with 5,000 distinct keys: the label names stay bounded", () => {
    const n = 5_000;
    const { texts, rejected } = new ItemLabelTexts(64).render([counters(n, (i) => `nft(key${i}=x)`)], n);
    const names = new Set(texts.flatMap((t) => [...t.matchAll(/(\w+)="/g)].map((m) => m[1])));
    assert.ok(names.size <= 64, `${names.size} label names`);
    assert.equal(rejected.length, n - 61);
    assert.ok(
      texts.every((t) => t.length < 2_000),
      "a text holds at most 64 names",
    );
  });
});
