import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ProtocolViolation } from "../../../src/ipc/framing.js";
import { decodeReadRequest, encodeReadRequest, type ReadRequest } from "../../../src/ipc/protocol.js";

/** A request laid out by hand: [tag u8][id u32 BE][timeoutMs f64 BE]. */
function request(tag: number, id: number, timeoutMs: number, extra = 0): Buffer {
  const b = Buffer.alloc(13 + extra);
  b.writeUInt8(tag, 0);
  b.writeUInt32BE(id, 1);
  b.writeDoubleBE(timeoutMs, 5);
  return b;
}

describe("decodeReadRequest", () => {
  const valid: ReadRequest[] = [
    { type: "read", id: 0, timeoutMs: 1 },
    { type: "read", id: 1, timeoutMs: 10_000 },
    { type: "read", id: 2 ** 31 - 1, timeoutMs: 0.5 },
  ];
  for (const req of valid) {
    test(`round-trips ${JSON.stringify(req)}`, () => {
      const payload = encodeReadRequest(req);
      assert.equal(payload.length, 13);
      const got = decodeReadRequest(payload);
      assert.deepEqual(got, req);
      assert.deepEqual(Object.keys(got), ["type", "id", "timeoutMs"]);
    });
  }

  test("reads a payload that is a view into a larger buffer", () => {
    const big = Buffer.alloc(40);
    encodeReadRequest({ type: "read", id: 7, timeoutMs: 3 }).copy(big, 11);
    assert.deepEqual(decodeReadRequest(big.subarray(11, 24)), { type: "read", id: 7, timeoutMs: 3 });
  });

  const invalid: [string, Buffer, RegExp][] = [
    ["an empty payload", Buffer.alloc(0), /0 bytes/],
    ["one byte short", request(1, 1, 1000).subarray(0, 12), /12 bytes/],
    ["one byte extra", request(1, 1, 1000, 1), /14 bytes/],
    ["JSON of a read", Buffer.from('{"type":"read","id":1,"timeoutMs":1000}'), /bytes/],
    ["V8's serialization of a read", Buffer.from("ff0f6f220474797065", "hex"), /bytes/],
    ["tag 0", request(0, 1, 1000), /type 0/],
    ["tag 2", request(2, 1, 1000), /type 2/],
    ["tag 255", request(255, 1, 1000), /type 255/],
    ["id 2^31", request(1, 2 ** 31, 1000), /id 2147483648/],
    ["id 2^32 - 1", request(1, 2 ** 32 - 1, 1000), /out of range/],
    ["NaN timeout", request(1, 1, Number.NaN), /NaN/],
    ["infinite timeout", request(1, 1, Number.POSITIVE_INFINITY), /Infinity/],
    ["zero timeout", request(1, 1, 0), /0 ms/],
    ["negative zero timeout", request(1, 1, -0), /0 ms/],
    ["negative timeout", request(1, 1, -1), /-1 ms/],
  ];
  for (const [name, payload, message] of invalid) {
    test(`rejects ${name}`, () => {
      assert.throws(
        () => decodeReadRequest(payload),
        (err: unknown) => {
          assert.ok(err instanceof ProtocolViolation, String(err));
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
