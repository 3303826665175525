import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deserialize, serialize } from "node:v8";
import { type ErrorCode, ErrorCodes, NfpromError, toErrorInfo } from "../../src/errors.js";
import { KernelError } from "../../src/netlink/message.js";

/** Every code, as the reader → web protocol and the `reason` label of nfprom_read_errors_total know it. */
const ALL: [keyof typeof ErrorCodes, ErrorCode][] = [
  ["EPERM", "NFPROM_EPERM"],
  ["NO_TABLE", "NFPROM_NO_TABLE"],
  ["DUMP_INTR", "NFPROM_DUMP_INTR"],
  ["RULESET_CHANGED", "NFPROM_RULESET_CHANGED"],
  ["DECODE", "NFPROM_DECODE"],
  ["TIMEOUT", "NFPROM_TIMEOUT"],
  ["NETLINK", "NFPROM_NETLINK"],
  ["SOCKET", "NFPROM_SOCKET"],
  ["READER_GONE", "NFPROM_READER_GONE"],
  ["INTERNAL", "NFPROM_INTERNAL"],
];

describe("ErrorCodes", () => {
  test("the table above lists every code exactly once", () => {
    assert.deepEqual(Object.entries(ErrorCodes), ALL);
    assert.equal(new Set(Object.values(ErrorCodes)).size, ALL.length);
  });

  for (const [key, code] of ALL) {
    test(`${key}: NfpromError carries name, code, message, errno; toErrorInfo keeps code and message`, () => {
      const err = new NfpromError(code, `something about ${key}`, 42);
      assert.ok(err instanceof Error);
      assert.equal(err.name, "NfpromError");
      assert.equal(err.code, code);
      assert.equal(err.message, `something about ${key}`);
      assert.equal(err.errno, 42);
      assert.match(String(err.stack), new RegExp(`^NfpromError: something about ${key}\\n`));
      const info = toErrorInfo(err);
      assert.deepEqual(info, { code, message: `something about ${key}` });
      assert.deepEqual(deserialize(serialize(info)), info, "survives the link to the web process");
      assert.equal(new NfpromError(code, "x").errno, undefined);
    });
  }
});

describe("toErrorInfo", () => {
  const cases: [string, unknown, string][] = [
    ["a plain Error", new Error("boom"), "internal error: boom"],
    ["a TypeError", new TypeError("x is not a function"), "internal error: x is not a function"],
    ["a string", "oops", "internal error: oops"],
    ["undefined", undefined, "internal error: undefined"],
    ["an object", { code: "NFPROM_EPERM", message: "forged" }, "internal error: [object Object]"],
  ];
  for (const [name, err, message] of cases) {
    test(`${name} is reported as an internal error`, () => {
      assert.deepEqual(toErrorInfo(err), { code: ErrorCodes.INTERNAL, message });
    });
  }

  test("a KernelError keeps NFPROM_NETLINK and its errno text", () => {
    const err = new KernelError("dump rules", 16, "busy", 20);
    assert.equal(err.name, "NfpromError");
    assert.deepEqual(toErrorInfo(err), { code: ErrorCodes.NETLINK, message: "dump rules: EBUSY (busy)" });
  });
});
