import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseReadRequest } from "../../../src/ipc/protocol.js";

describe("parseReadRequest", () => {
  const valid: { type: "read"; id: number; timeoutMs: number }[] = [
    { type: "read", id: 0, timeoutMs: 1 },
    { type: "read", id: 1, timeoutMs: 10_000 },
    { type: "read", id: 2 ** 31 - 1, timeoutMs: 0.5 },
  ];
  for (const msg of valid) {
    test(`accepts ${JSON.stringify(msg)}`, () => {
      const got = parseReadRequest(structuredClone(msg));
      assert.deepEqual(got, msg);
      assert.deepEqual(Object.keys(got ?? {}), ["type", "id", "timeoutMs"]);
    });
  }

  test("returns a fresh object, not the message it was given", () => {
    const msg = { timeoutMs: 5, id: 3, type: "read" };
    const got = parseReadRequest(msg);
    assert.notEqual(got, msg);
    assert.deepEqual(got, { type: "read", id: 3, timeoutMs: 5 });
  });

  const base = { type: "read", id: 1, timeoutMs: 1000 };
  const invalid: [string, unknown][] = [
    ["null", null],
    ["undefined", undefined],
    ["a number", 1],
    ["a string", "read"],
    ["a boolean", true],
    ["an empty array", []],
    ["an array of three", ["read", 1, 1000]],
    ["an empty object", {}],
    ["a Map", new Map(Object.entries(base))],
    ["missing timeoutMs", { type: "read", id: 1 }],
    ["missing id", { type: "read", timeoutMs: 1000 }],
    ["missing type, extra key", { kind: "read", id: 1, timeoutMs: 1000 }],
    ["an extra key", { ...base, extra: 1 }],
    ["an extra undefined key", { ...base, extra: undefined }],
    [
      "an own __proto__ key (JSON)",
      JSON.parse('{"type":"read","id":1,"timeoutMs":1000,"__proto__":{"x":1}}'),
    ],
    ["another type", { ...base, type: "shutdown" }],
    ["type in capitals", { ...base, type: "READ" }],
    ["type not a string", { ...base, type: ["read"] }],
    ["negative id", { ...base, id: -1 }],
    ["fractional id", { ...base, id: 1.5 }],
    ["id 2^31", { ...base, id: 2 ** 31 }],
    ["huge id", { ...base, id: Number.MAX_SAFE_INTEGER }],
    ["NaN id", { ...base, id: Number.NaN }],
    ["infinite id", { ...base, id: Number.POSITIVE_INFINITY }],
    ["string id", { ...base, id: "1" }],
    ["bigint id", { ...base, id: 1n }],
    ["null id", { ...base, id: null }],
    ["NaN timeout", { ...base, timeoutMs: Number.NaN }],
    ["infinite timeout", { ...base, timeoutMs: Number.POSITIVE_INFINITY }],
    ["zero timeout", { ...base, timeoutMs: 0 }],
    ["negative timeout", { ...base, timeoutMs: -1 }],
    ["string timeout", { ...base, timeoutMs: "1000" }],
    ["bigint timeout", { ...base, timeoutMs: 1000n }],
    ["null timeout", { ...base, timeoutMs: null }],
  ];
  for (const [name, msg] of invalid)
    test(`rejects ${name}`, () => assert.equal(parseReadRequest(msg), undefined));
});
