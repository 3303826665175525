import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LabelPolicy, type PolicyOptions } from "../../../src/labels/policy.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";
import { evaluated } from "./series.js";

function rule(handle: number, comment: string | undefined, bytes?: bigint, derived?: string[]): RuleCounters {
  return { family: 1, handle: BigInt(handle), comment, bytes, packets: bytes, ...(derived && { derived }) };
}

const DUPES = [rule(2, "nft(svc=ssh)", 10n), rule(3, "nft(svc=dns)", 5n), rule(4, "nft(svc=ssh)", 1n)];

function evaluate(options: Partial<PolicyOptions>, rules: RuleCounters[], derivedKeys?: string[]) {
  return evaluated(new LabelPolicy({ allRules: false, duplicates: "sum", ...options }), rules, derivedKeys);
}

describe("-duplicates", () => {
  test("sum: one series, both rules reported as adjusted, both counted exported", () => {
    const set = evaluate({ duplicates: "sum" }, DUPES);
    assert.deepEqual(set.keys, ["svc"]);
    assert.deepEqual(
      set.series.map((s) => [s.values, s.bytes, s.rules]),
      [
        [["ssh"], 11n, 2],
        [["dns"], 5n, 1],
      ],
    );
    assert.deepEqual(set.counts, { exported: 3, ignored: 0, rejected: 0 });
    assert.deepEqual(
      set.adjusted?.map((r) => [r.handle, r.reason]),
      [
        [2n, "same labels as rule 4: summed into one series"],
        [4n, "same labels as rule 2: summed into one series"],
      ],
    );
  });

  test("handle: a handle label on the duplicated rules only", () => {
    const set = evaluate({ duplicates: "handle" }, DUPES);
    assert.deepEqual(set.keys, ["handle", "svc"]);
    assert.deepEqual(
      set.series.map((s) => [s.values, s.bytes]),
      [
        [["2", "ssh"], 10n],
        [["", "dns"], 5n],
        [["4", "ssh"], 1n],
      ],
    );
    assert.equal(set.adjusted?.length, 2);
  });

  test("handle: a comment key named handle wins; the rules are summed instead", () => {
    const set = evaluate({ duplicates: "handle" }, [
      rule(2, "nft(handle=x)", 1n),
      rule(3, "nft(handle=x)", 2n),
    ]);
    assert.deepEqual(
      set.series.map((s) => [s.values, s.bytes]),
      [[["x"], 3n]],
    );
  });

  test("error: the duplicates are rejected, the rest still exported", () => {
    const set = evaluate({ duplicates: "error" }, DUPES);
    assert.deepEqual(
      set.series.map((s) => s.values),
      [["dns"]],
    );
    assert.deepEqual(set.counts, { exported: 1, ignored: 0, rejected: 2 });
    assert.deepEqual(
      set.rejected.map((r) => [r.handle, r.reason]),
      [
        [2n, "same labels as rule 4: not exported (--duplicates=error)"],
        [4n, "same labels as rule 2: not exported (--duplicates=error)"],
      ],
    );
  });

  test("no duplicates: no adjusted list at all (output as before)", () => {
    assert.equal(evaluate({}, [rule(2, "nft(a=1)", 1n)]).adjusted, undefined);
  });
});

describe("-all-rules", () => {
  const rules = [
    rule(2, "nft(svc=ssh)", 1n),
    rule(3, "ssh from the office", 2n),
    rule(4, undefined, 3n),
    rule(5, undefined),
  ];
  test("off: plain and missing comments are ignored", () => {
    assert.deepEqual(evaluate({}, rules).counts, { exported: 1, ignored: 3, rejected: 0 });
  });
  test("on: counted rules get rule=<comment> or rule=#<position>; a rule without counter stays ignored", () => {
    const set = evaluate({ allRules: true }, rules);
    assert.deepEqual(set.keys, ["rule", "svc"]);
    assert.deepEqual(
      set.series.map((s) => s.values),
      [
        ["", "ssh"],
        ["ssh from the office", ""],
        ["#3", ""],
      ],
    );
    assert.deepEqual(set.counts, { exported: 3, ignored: 1, rejected: 0 });
  });
});

describe("target label names and derived labels", () => {
  test("job and instance are exported as exported_job/exported_instance and reported", () => {
    const set = evaluate({}, [rule(2, "nft(job=a;instance=b;x=1)", 1n)]);
    assert.deepEqual(set.keys, ["exported_instance", "exported_job", "x"]);
    assert.deepEqual(
      set.adjusted?.map((r) => r.reason),
      [
        '"job" exported as exported_job, "instance" exported as exported_instance: Prometheus sets job and instance itself',
      ],
    );
  });

  test("derived labels join the comment keys; a comment key of the same name wins", () => {
    const set = evaluate(
      {},
      [rule(2, "nft(port=ssh)", 1n, ["10.0.0.0/8", "22"]), rule(3, "nft(x=1)", 1n, ["", "53"])],
      ["address", "port"],
    );
    assert.deepEqual(set.keys, ["address", "port", "x"]);
    assert.deepEqual(
      set.series.map((s) => s.values),
      [
        ["10.0.0.0/8", "ssh", ""],
        ["", "53", "1"],
      ],
    );
  });

  test("derived labels can tell apart rules whose comments are identical", () => {
    const set = evaluate(
      {},
      [rule(2, "nft(svc=web)", 1n, ["80"]), rule(3, "nft(svc=web)", 2n, ["443"])],
      ["port"],
    );
    assert.equal(set.series.length, 2);
    assert.equal(set.adjusted, undefined);
  });
});

describe("reserved keys and label limits", () => {
  test("le and quantile are exported as exported_le/exported_quantile and reported, like job", () => {
    const set = evaluate({}, [rule(2, "nft(le=0.5;quantile=0.9;job=j)", 1n)]);
    assert.deepEqual(set.keys, ["exported_job", "exported_le", "exported_quantile"]);
    assert.deepEqual(
      set.adjusted?.map((r) => r.reason),
      [
        '"le" exported as exported_le, "quantile" exported as exported_quantile, "job" exported as exported_job: Prometheus reads le as a histogram bucket bound; Prometheus reads quantile as a summary quantile; Prometheus sets job and instance itself',
      ],
    );
  });

  test("-max-label-names: the most used names stay; a rule using another is rejected, the rest exported", () => {
    const rules = [
      rule(2, "nft(svc=a;dir=in)", 1n),
      rule(3, "nft(svc=b;dir=out)", 2n),
      rule(4, "nft(svc=c;rare=x)", 4n),
      rule(5, "nft(svc=d;zone=y)", 8n),
    ];
    const set = evaluate({ maxLabelNames: 2 }, rules);
    assert.deepEqual(set.keys, ["dir", "svc"]);
    assert.deepEqual(
      set.series.map((s) => s.values),
      [
        ["in", "a"],
        ["out", "b"],
      ],
    );
    assert.deepEqual(set.counts, { exported: 2, ignored: 0, rejected: 2 });
    assert.deepEqual(set.overLimits, { labelNames: 2, labelValueLength: 0 });
    assert.deepEqual(
      set.rejected.map((r) => [r.handle, r.reason]),
      [
        [4n, "uses a label name beyond the 2 most used ones (-max-label-names; the rules use 4)"],
        [5n, "uses a label name beyond the 2 most used ones (-max-label-names; the rules use 4)"],
      ],
    );
    assert.deepEqual(evaluate({ maxLabelNames: 0 }, rules).keys, ["dir", "rare", "svc", "zone"]);
  });

  test("5,000 rules with 5,000 distinct keys: 64 names at most, every series small", () => {
    const rules = Array.from({ length: 5000 }, (_, i) => rule(i + 2, `nft(k${i}=v;svc=s${i})`, 1n));
    const set = evaluate({ maxLabelNames: 64 }, rules);
    assert.equal(set.keys.length, 64);
    assert.equal(set.counts.exported, 63);
    assert.equal(set.overLimits.labelNames, 5000 - 63);
  });

  test("-max-label-value-length: a longer derived value is exported empty and the rule reported", () => {
    const long = Array.from({ length: 100 }, (_, i) => `10.0.${i}.0/24`).join(",");
    const set = evaluate(
      { maxLabelValueLength: 64 },
      [rule(2, "nft(svc=a)", 1n, [long, "22"])],
      ["address", "port"],
    );
    assert.deepEqual(set.series[0]?.values, ["", "22", "a"]);
    assert.deepEqual(set.overLimits, { labelNames: 0, labelValueLength: 1 });
    assert.deepEqual(
      set.adjusted?.map((r) => r.reason),
      ['"address" exported empty: the value is longer than 64 characters (-max-label-value-length)'],
    );
  });
});
