import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { quoteBigIntegers } from "../../../src/check/nft-json.js";
import { formatReport, isClean } from "../../../src/check/report.js";
import { type ParseResult, parseArgs } from "../../../src/cli/flags.js";
import type { Config } from "../../../src/config/config.js";
import { diagnose, itemFindings } from "../../../src/labels/diagnose.js";
import type { PolicyOptions } from "../../../src/labels/policy.js";
import { keyedElements } from "../../../src/labels/setkey.js";
import { type NamePattern, parsePattern } from "../../../src/model/pattern.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";
import { type NftSet, setFromMessage } from "../../../src/nftables/set.js";
import { setElementsFromMessage } from "../../../src/nftables/setelem.js";
import { commentedCounter, commentedQuota } from "../../../src/sources/objects/slice.js";
import { commentedElement } from "../../../src/sources/sets/slice.js";
import { loadFixture } from "../helpers/fixtures.js";
import { fixtureMessages } from "../helpers/messages.js";
import { itemsFromNftJson, rulesFromNftJson } from "../helpers/nft-json.js";

/** checkConfig: the configuration of a bare `nfprom check`. */
function checkConfig(): Config {
  const parsed = parseArgs(["check"]);
  assert.equal(parsed.kind, "run");
  return (parsed as Extract<ParseResult, { kind: "run" }>).config;
}

function rule(handle: number, comment: string | undefined, bytes?: bigint): RuleCounters {
  return { family: 1, handle: BigInt(handle), comment, bytes, packets: bytes };
}

const SUM: PolicyOptions = { allRules: false, duplicates: "sum" };

/** problems lists [handle, severity, problem] for compact asserts. */
function problems(rules: RuleCounters[], options = SUM): [bigint, string, string][] {
  return diagnose(rules, options).findings.map((f) => [f.handle as bigint, f.severity, f.problem]);
}

describe("nfprom check: one diagnosis per kind of problem", () => {
  const cases: [string, RuleCounters[], [bigint, string, string][]][] = [
    ["clean chain", [rule(2, "nft(a=1)", 1n), rule(3, "nft(a=2)", 1n)], []],
    [
      "invalid key",
      [rule(2, "nft(bad-key=1)", 1n)],
      [[2n, "error", '"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)']],
    ],
    [
      "malformed comment",
      [rule(2, "nft(a)", 1n)],
      [[2n, "error", 'malformed comment: "a" is not key=value']],
    ],
    ["no counter", [rule(2, "nft(a=1)")], [[2n, "error", "rule has no counter statement"]]],
    [
      "key set differs from the others",
      [rule(2, "nft(a=1;b=1)", 1n), rule(3, "nft(a=2;b=2)", 1n), rule(4, "nft(a=3)", 1n)],
      [[4n, "warning", "keys {a} differ from the other rules' {a,b}: missing ones export empty"]],
    ],
    [
      "duplicate label set",
      [rule(2, "nft(a=1)", 1n), rule(3, "nft(a=1)", 1n)],
      [
        [2n, "warning", "same labels as rule 3: summed into one series"],
        [3n, "warning", "same labels as rule 2: summed into one series"],
      ],
    ],
    [
      "comment that is nearly nft(...)",
      [rule(2, "nft(a=1", 1n), rule(3, "NFT (a=1)", 1n)],
      [
        [2n, "warning", 'comment is not nft(...): it must start with "nft(" and end with ")"'],
        [3n, "warning", 'comment is not nft(...): it must start with "nft(" and end with ")"'],
      ],
    ],
    [
      "comment over nft's 128 bytes",
      [rule(2, `nft(a=${"x".repeat(130)})`, 1n)],
      [[2n, "warning", "comment is 137 bytes; nft allows 128"]],
    ],
    [
      "counted rules that are not exported (notes only)",
      [rule(2, "just a note", 1n), rule(3, undefined, 1n), rule(4, undefined)],
      [
        [2n, "info", "not exported: comment is not nft(...) (-all-rules would export it)"],
        [3n, "info", "not exported: no comment (-all-rules would export it)"],
      ],
    ],
  ];
  for (const [what, rules, want] of cases) test(what, () => assert.deepEqual(problems(rules), want));

  test("-all-rules and -duplicates=error are applied as the exporter would", () => {
    assert.deepEqual(problems([rule(2, undefined, 1n)], { allRules: true, duplicates: "sum" }), []);
    const dupes = [rule(2, "nft(a=1)", 1n), rule(3, "nft(a=1)", 1n)];
    assert.deepEqual(
      problems(dupes, { allRules: false, duplicates: "error" }).map(([, s]) => s),
      ["error", "error"],
    );
  });
});

describe("report", () => {
  const result = diagnose([rule(2, "nft(a=1)", 1n), rule(3, "nft(bad-key=1)", 1n), rule(4, "note", 1n)], SUM);

  test("text: per problem rule its handle, severity, problem and comment, then a summary", () => {
    assert.equal(
      formatReport(result, "stdin", "text"),
      [
        'handle 3: error: "bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
        '    comment: "nft(bad-key=1)"',
        "handle 4: info: not exported: comment is not nft(...) (-all-rules would export it)",
        '    comment: "note"',
        "",
        "stdin: 3 rules: 1 exported as 1 series, 1 ignored, 1 rejected",
        "labels: a",
        "1 error, 0 warnings, 1 note: problems found",
        "",
      ].join("\n"),
    );
  });

  test("json: one document, handles as strings", () => {
    const doc = JSON.parse(formatReport(result, "stdin", "json"));
    assert.equal(doc.clean, false);
    assert.deepEqual(doc.counts, { exported: 1, ignored: 1, rejected: 1 });
    assert.deepEqual(doc.findings[0], {
      handle: "3",
      comment: "nft(bad-key=1)",
      severity: "error",
      problem: '"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
    });
  });

  test("notes alone are clean", () => {
    assert.equal(isClean(diagnose([rule(2, undefined, 1n)], SUM)), true);
  });
});

describe("nft -j input", () => {
  test("quoteBigIntegers keeps big integers exact and leaves strings alone", () => {
    const doc = JSON.parse(
      quoteBigIntegers('{"a": 18446744073709551615, "b": -5, "c": "x 99999999999999999999 \\" 1", "d": 1.5}'),
    );
    assert.deepEqual(doc, { a: "18446744073709551615", b: -5, c: 'x 99999999999999999999 " 1', d: 1.5 });
  });

  test("big counters (2^53+1, and >= 2^63 printed negative by nft) are read exactly", () => {
    const f = loadFixture("bigcounters") as unknown as {
      nft: string;
      rules: { bytes: string; packets: string }[];
    };
    const rules = rulesFromNftJson(f.nft, { family: "inet", table: "firewall", chain: "accounting" });
    assert.deepEqual(
      rules.map((r) => [r.bytes, r.packets]),
      f.rules.map((r) => [BigInt(r.bytes), BigInt(r.packets)]),
    );
  });

  test("comments, handles, missing counters and the chain filter match the kernel's view", () => {
    const f = loadFixture("basic") as unknown as {
      nft: string;
      rules: { handle: string; comment: string | null; bytes: string | null }[];
    };
    const rules = rulesFromNftJson(f.nft, { family: "all", table: "firewall", chain: "accounting" });
    assert.deepEqual(
      rules.map((r) => [r.handle, r.comment, r.bytes]),
      f.rules.map((r) => [
        BigInt(r.handle),
        r.comment ?? undefined,
        r.bytes === null ? undefined : BigInt(r.bytes),
      ]),
    );
    assert.deepEqual(rulesFromNftJson(f.nft, { family: "ip", table: "firewall", chain: "accounting" }), []);
  });

  test("not libnftables JSON is an error", () => {
    assert.throws(
      () => rulesFromNftJson("{}", { family: "all", table: "t", chain: "c" }),
      /no "nftables" array/,
    );
    assert.throws(() => rulesFromNftJson("nope", { family: "all", table: "t", chain: "c" }), SyntaxError);
  });
});

describe("named counters, quotas and set elements (-counters, -quotas, -sets)", () => {
  const all = [parsePattern("*/*/*")];
  const nftOf = (fixture: string) => (loadFixture(fixture) as unknown as { nft: string }).nft;
  const selecting = (
    counterPatterns: NamePattern[],
    quotaPatterns: NamePattern[],
    setPatterns: NamePattern[],
  ) =>
    ({
      ...checkConfig(),
      selections: { counters: counterPatterns, quotas: quotaPatterns, sets: setPatterns, tables: [] },
    }) satisfies Config;

  test("from nft -j: the selected objects with their comments (objects fixture)", () => {
    const items = itemsFromNftJson(
      nftOf("sources/objects"),
      selecting([parsePattern("inet/firewall/*")], all, []),
    );
    assert.deepEqual(
      items.filter((i) => i.kind === "quota").map((i) => Object.fromEntries(i.identity).mode),
      ["until", "over"],
      "the quota's mode among its identity labels, as the exporter has it",
    );
    assert.deepEqual(
      items.map(({ item, comment }) => ({ item, comment })),
      [
        { item: "counter inet/firewall/ssh_in", comment: "nft(service=ssh;dir=in)" },
        { item: "counter inet/firewall/huge", comment: undefined },
        { item: "counter inet/firewall/plain", comment: undefined },
        { item: "quota inet/firewall/web_until", comment: "nft(plan=basic)" },
        { item: "quota inet/firewall/web_over", comment: undefined },
      ],
    );
  });

  test("from nft -j: set and map elements with counters, named by the keys the kernel read prints", () => {
    const fixtures = [
      ...["clients", "nets", "v6", "ports", "pairs"].map((n) => [
        `sources/sets`,
        `sources/setelem-counters-${n}`,
      ]),
      ...["vm", "cc", "v6n", "eth"].map((n) => [`sources/sets-shapes`, `sources/setelem-shapes-${n}`]),
    ];
    for (const [declared, elements] of fixtures as [string, string][]) {
      const fromJson = itemsFromNftJson(nftOf(elements), selecting([], [], all));
      const sets = new Map(
        fixtureMessages(declared).messages.map((m) => [setFromMessage(m).name, setFromMessage(m)]),
      );
      const name = elements.replace(/^.*-/, "");
      const set = sets.get(name) as NftSet;
      const keys = keyedElements(set, fixtureMessages(elements).messages.flatMap(setElementsFromMessage));
      assert.deepEqual(
        fromJson.map((i) => i.item).sort(),
        keys.map(([key]) => `element ${key} of set inet/firewall/${name}`).sort(),
        elements,
      );
    }
  });

  test("a malformed nft(...) comment is a warning: the item is exported by its identity alone", () => {
    const findings = itemFindings([
      commentedCounter("inet", "firewall", "a", "nft(svc=a;svc=b)"),
      commentedQuota("inet", "firewall", "q", false, "nft(__x=1)"),
      commentedElement("inet", "firewall", "s", "10.0.0.1", "nft(ok=1)"),
      commentedElement("inet", "firewall", "s", "10.0.0.2", "a note"),
      commentedCounter("inet", "firewall", "b", undefined),
    ]);
    assert.deepEqual(
      findings.map((f) => [f.item, f.severity, f.problem]),
      [
        [
          "counter inet/firewall/a",
          "warning",
          'key "svc" given twice; exported without its comment\'s labels',
        ],
        [
          "quota inet/firewall/q",
          "warning",
          '"__x" uses the prefix __, reserved by Prometheus; exported without its comment\'s labels',
        ],
      ],
    );
  });

  test("a label name beyond -max-label-names is a warning for the items using it, as the exporter decides", () => {
    // Counters have family, table and name; two more fit a limit of 5: svc (3 uses) and dir (2), not
    // zone (2, but "dir" sorts first). A quota has one own label more (mode): room for one key, and of
    // svc and dir (one use each) dir sorts first.
    const items = [
      commentedCounter("inet", "firewall", "a", "nft(svc=a;dir=in)"),
      commentedCounter("inet", "firewall", "b", "nft(svc=b;zone=x)"),
      commentedCounter("inet", "other", "c", "nft(svc=c;dir=out;zone=y)"),
      commentedQuota("inet", "firewall", "q", true, "nft(svc=q;dir=in)"),
      commentedElement("inet", "firewall", "s", "10.0.0.1", "nft(svc=e)"),
    ];
    const problems = itemFindings(items, 5).map((f) => [f.item, f.problem]);
    const beyond = (k: string) =>
      `label name "${k}" beyond -max-label-names (5); exported without its comment's labels`;
    assert.deepEqual(problems, [
      ["counter inet/firewall/b", beyond("zone")],
      ["counter inet/other/c", beyond("zone")],
      ["quota inet/firewall/q", beyond("svc")],
    ]);
    assert.deepEqual(itemFindings(items, 0), [], "0: no limit");
    assert.deepEqual(itemFindings(items, 6).length, 0);
  });

  test("report: items named in text, as `item` in JSON, and how many were checked", () => {
    const result = diagnose([rule(2, "nft(a=1)", 1n)], SUM);
    result.findings.push(...itemFindings([commentedCounter("inet", "firewall", "a", "nft(x)")]));
    result.items = 3;
    const text = formatReport(result, "stdin", "text");
    assert.match(text, /^counter inet\/firewall\/a: warning: "x" is not key=value; exported without/);
    assert.match(text, /\nnamed counters, quotas and set elements: 3 checked\n/);
    const doc = JSON.parse(formatReport(result, "stdin", "json"));
    assert.equal(doc.items, 3);
    assert.deepEqual(Object.keys(doc.findings[0]).sort(), ["comment", "item", "problem", "severity"]);
  });
});
