import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ParsedComment, parseComment } from "../../../src/labels/comment.js";

type Want = "none" | [string, string][] | { invalid: string };

function simplify(p: ParsedComment): Want {
  if (p.kind === "none") return "none";
  if (p.kind === "invalid") return { invalid: p.reason };
  return [...p.labels];
}

describe("parseComment", () => {
  const cases: [string | undefined, Want][] = [
    // not nft(...): ignored
    [undefined, "none"],
    ["", "none"],
    ["just a note", "none"],
    ["nft(a=1", "none"],
    ["nft a=1)", "none"],
    ["xnft(a=1)", "none"],
    ["nft(a=1) trailing", "none"],
    ["NFT(a=1)", "none"],
    ["nft(", "none"],
    ["nft)", "none"],
    // labels
    ["nft()", []],
    ["nft(;)", []],
    ["nft( ; ;; )", []],
    [
      "nft(a=1;b=2)",
      [
        ["a", "1"],
        ["b", "2"],
      ],
    ],
    ["  nft(a=1)\t", [["a", "1"]]],
    [
      "nft( a = 1 ; b= two words )",
      [
        ["a", "1"],
        ["b", "two words"],
      ],
    ],
    ["nft(q=x=y)", [["q", "x=y"]]],
    ["nft(q==)", [["q", "="]]],
    [
      "nft(a=1;;b=2)",
      [
        ["a", "1"],
        ["b", "2"],
      ],
    ],
    ["nft(a=1;)", [["a", "1"]]],
    ["nft(;a=1)", [["a", "1"]]],
    ["nft(a=)", [["a", ""]]],
    ["nft(a= )", [["a", ""]]],
    ["nft(a=(x))", [["a", "(x)"]]],
    [
      'nft(path=C:\\dir;q="x")',
      [
        ["path", "C:\\dir"],
        ["q", '"x"'],
      ],
    ],
    ["nft(a=line1\nline2)", [["a", "line1\nline2"]]],
    [
      "nft(service=Überwachung;owner=日本;emoji=📈)",
      [
        ["service", "Überwachung"],
        ["owner", "日本"],
        ["emoji", "📈"],
      ],
    ],
    // label-name validity is policy, not grammar
    ["nft(bad-key=1)", [["bad-key", "1"]]],
    // invalid
    ["nft(a)", { invalid: '"a" is not key=value' }],
    ["nft(a=1;b)", { invalid: '"b" is not key=value' }],
    ["nft(a=1; b ;c=3)", { invalid: '"b" is not key=value' }],
    ["nft(=v)", { invalid: 'empty key in "=v"' }],
    ["nft( = v )", { invalid: 'empty key in "= v"' }],
    ["nft(a=1;a=2)", { invalid: 'key "a" given twice' }],
    ["nft(a=1; a =1)", { invalid: 'key "a" given twice' }],
  ];
  for (const [comment, want] of cases) {
    test(JSON.stringify(comment) ?? "undefined", () => {
      assert.deepEqual(simplify(parseComment(comment)), want);
    });
  }

  test("never throws, whatever the comment (seeded random comments of grammar characters)", () => {
    const alphabet = ["n", "f", "t", "(", ")", "=", ";", " ", "a", "_", "-", "\\", '"', "\n", "é", "📈"];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const kinds = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      let body = "";
      for (let j = rand(20); j > 0; j--) body += alphabet[rand(alphabet.length)];
      const comment = rand(2) === 0 ? `nft(${body})` : body;
      const parsed = parseComment(comment);
      kinds.add(parsed.kind);
      if (parsed.kind === "labels") {
        for (const [k, v] of parsed.labels) {
          assert.notEqual(k, "");
          assert.equal(k, k.trim());
          assert.equal(v, v.trim());
          assert.ok(!k.includes("=") && !k.includes(";"), `key ${JSON.stringify(k)}`);
        }
      }
    }
    assert.deepEqual([...kinds].sort(), ["invalid", "labels", "none"]);
  });
});
