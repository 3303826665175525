import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { labelNameProblem } from "../../../src/labels/names.js";
import { LabelPolicy } from "../../../src/labels/policy.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";
import { evaluated, type SeriesRow } from "./series.js";

function rule(handle: number, comment: string | undefined, bytes?: bigint, packets?: bigint): RuleCounters {
  return { family: 1, handle: BigInt(handle), comment, bytes, packets };
}

/** series renders a SeriesSet's series as [values, bytes, packets, rules] rows for compact asserts. */
function rows(set: { series: SeriesRow[] }): [string[], bigint, bigint, number][] {
  return set.series.map((s) => [s.values, s.bytes, s.packets, s.rules]);
}

describe("labelNameProblem", () => {
  const valid = ["a", "A", "_", "_x", "a1", "service", "l2proto", "A_b_9"];
  for (const name of valid) test(`"${name}" is valid`, () => assert.equal(labelNameProblem(name), undefined));
  const invalid: [string, string][] = [
    ["bad-key", '"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
    ["1abc", '"1abc" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
    ["a.b", '"a.b" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
    ["é", '"é" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
    ["a b", '"a b" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
    ["", '"" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
    ["__x", '"__x" uses the prefix __, reserved by Prometheus'],
    ["__", '"__" uses the prefix __, reserved by Prometheus'],
  ];
  for (const [name, reason] of invalid)
    test(`"${name}" is invalid`, () => assert.equal(labelNameProblem(name), reason));
});

describe("LabelPolicy.evaluate", () => {
  test("no rules: no keys, no series, zero counts", () => {
    assert.deepEqual(new LabelPolicy().evaluate([]), {
      keys: [],
      values: [],
      starts: new Int32Array(1),
      members: new Int32Array(0),
      counts: { exported: 0, ignored: 0, rejected: 0 },
      overLimits: { labelNames: 0, labelValueLength: 0 },
      rejected: [],
    });
  });

  test("keys are the sorted union; a rule without a key gets the empty value", () => {
    const set = evaluated(new LabelPolicy(), [
      rule(2, "nft(z=1;a=2)", 10n, 1n),
      rule(3, "nft(m=3)", 20n, 2n),
      rule(4, "nft()", 30n, 3n),
    ]);
    assert.deepEqual(set.keys, ["a", "m", "z"]);
    assert.deepEqual(rows(set), [
      [["2", "", "1"], 10n, 1n, 1],
      [["", "3", ""], 20n, 2n, 1],
      [["", "", ""], 30n, 3n, 1],
    ]);
    assert.deepEqual(set.counts, { exported: 3, ignored: 0, rejected: 0 });
  });

  test("identical label sets are summed (bytes, packets, rule count), in order of first appearance", () => {
    const set = evaluated(new LabelPolicy(), [
      rule(2, "nft(svc=ssh;dir=in)", 10n, 1n),
      rule(3, "nft(svc=dns)", 5n, 5n),
      rule(4, "nft( dir = in ; svc = ssh )", 20n, 2n),
      rule(5, "nft(svc=ssh;dir=in;)", 30n, 3n),
      rule(6, "nft(svc=dns;dir=)", 1n, 1n), // dir="" is the same series as no dir
    ]);
    assert.deepEqual(set.keys, ["dir", "svc"]);
    assert.deepEqual(rows(set), [
      [["in", "ssh"], 60n, 6n, 3],
      [["", "dns"], 6n, 6n, 2],
    ]);
    assert.deepEqual(set.counts, { exported: 5, ignored: 0, rejected: 0 });
  });

  test("sums above 2^64 stay exact", () => {
    const max = 2n ** 64n - 1n;
    const set = evaluated(new LabelPolicy(), [
      rule(2, "nft(a=1)", max, max - 1n),
      rule(3, "nft(a=1)", max, max),
      rule(4, "nft(a=1)", 2n, 0n),
    ]);
    assert.deepEqual(rows(set), [[["1"], 2n * max + 2n, 2n * max - 1n, 3]]);
    assert.equal(set.series[0]?.bytes.toString(), "36893488147419103232"); // 2^65
  });

  test("rejected: invalid label names, malformed comments, nft comment without a counter", () => {
    const set = evaluated(new LabelPolicy(), [
      rule(2, "nft(bad-key=1)", 1n, 1n),
      rule(3, "nft(1abc=1)", 1n, 1n),
      rule(4, "nft(ok=1;__x=2)", 1n, 1n),
      rule(5, "nft(a=1;a=2)", 1n, 1n),
      rule(6, "nft(service=SMTP)"),
      rule(7, "nft(bad-key=1)"), // the comment's problem is reported before the missing counter
      rule(8, "nft(good=1)", 9n, 9n),
    ]);
    assert.deepEqual(set.rejected, [
      {
        handle: 2n,
        comment: "nft(bad-key=1)",
        reason: '"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
      },
      {
        handle: 3n,
        comment: "nft(1abc=1)",
        reason: '"1abc" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
      },
      { handle: 4n, comment: "nft(ok=1;__x=2)", reason: '"__x" uses the prefix __, reserved by Prometheus' },
      { handle: 5n, comment: "nft(a=1;a=2)", reason: 'malformed comment: key "a" given twice' },
      { handle: 6n, comment: "nft(service=SMTP)", reason: "rule has no counter statement" },
      {
        handle: 7n,
        comment: "nft(bad-key=1)",
        reason: '"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
      },
    ]);
    assert.deepEqual(set.keys, ["good"], "rejected rules contribute no keys");
    assert.deepEqual(rows(set), [[["1"], 9n, 9n, 1]]);
    assert.deepEqual(set.counts, { exported: 1, ignored: 0, rejected: 6 });
  });

  test("ignored: no comment, a plain comment, an empty comment, with or without counter", () => {
    const set = evaluated(new LabelPolicy(), [
      rule(2, undefined, 1n, 1n),
      rule(3, "just a note", 1n, 1n),
      rule(4, ""),
      rule(5, "nft(a=1", 1n, 1n),
      rule(6, "nft(a=1)", 4n, 2n),
    ]);
    assert.deepEqual(set.counts, { exported: 1, ignored: 4, rejected: 0 });
    assert.deepEqual(set.rejected, []);
    assert.deepEqual(rows(set), [[["1"], 4n, 2n, 1]]);
  });

  test("several chains: one comment in two chains is two series; repeated evaluations agree", () => {
    const where = (chain: string) => ({ family: "inet", table: "t", chain });
    const rules: RuleCounters[] = [
      { ...rule(1, "nft(svc=a;table=x)", 1n, 1n), location: where("c1") },
      { ...rule(2, "nft(svc=b)", 2n, 2n), location: where("c1") },
      { ...rule(3, "nft(svc=a;table=x)", 3n, 3n), location: where("c2") },
      { ...rule(4, "nft(svc=a;table=x)", 4n, 4n), location: where("c3") },
    ];
    const policy = new LabelPolicy();
    const want: [string[], bigint, bigint, number][] = [
      [["c1", "x", "inet", "a", "t"], 1n, 1n, 1],
      [["c1", "", "inet", "b", "t"], 2n, 2n, 1],
      [["c2", "x", "inet", "a", "t"], 3n, 3n, 1],
      [["c3", "x", "inet", "a", "t"], 4n, 4n, 1],
    ];
    for (let i = 0; i < 3; i++) {
      const set = evaluated(policy, rules);
      assert.deepEqual(set.keys, ["chain", "exported_table", "family", "svc", "table"]);
      assert.deepEqual(rows(set), want, `evaluation ${i + 1}`);
    }
  });

  test("successive evaluations follow comment changes (the parse cache never serves a stale verdict)", () => {
    const policy = new LabelPolicy();
    const first = evaluated(policy, [rule(2, "nft(a=1)", 1n, 1n), rule(3, "nft(b=2)", 2n, 2n)]);
    assert.deepEqual(first.keys, ["a", "b"]);

    const second = evaluated(policy, [
      rule(2, "nft(a=2)", 1n, 1n),
      rule(3, "nft(b=2;b=3)", 2n, 2n),
      rule(4, "nft(c=x)", 3n, 3n),
    ]);
    assert.deepEqual(second.keys, ["a", "c"]);
    assert.deepEqual(rows(second), [
      [["2", ""], 1n, 1n, 1],
      [["", "x"], 3n, 3n, 1],
    ]);
    assert.deepEqual(second.counts, { exported: 2, ignored: 0, rejected: 1 });

    const third = evaluated(policy, [rule(2, "nft(a=1)", 5n, 5n), rule(3, "nft(b=2)", 6n, 6n)]);
    assert.deepEqual(third.keys, ["a", "b"]);
    assert.deepEqual(rows(third), [
      [["1", ""], 5n, 5n, 1],
      [["", "2"], 6n, 6n, 1],
    ]);
    assert.deepEqual(
      rows(first),
      [
        [["1", ""], 1n, 1n, 1],
        [["", "2"], 2n, 2n, 1],
      ],
      "earlier results are not mutated by later evaluations",
    );

    const fourth = evaluated(policy, [rule(2, "nft(a=1)", 5n, 5n), rule(3, "nft(a=1)", 6n, 6n)]);
    assert.deepEqual(
      rows(fourth),
      [[["1"], 11n, 11n, 2]],
      "a cached verdict's labels are not mutated by summing",
    );
  });
});
