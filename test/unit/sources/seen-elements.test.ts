import assert from "node:assert/strict";
import { test } from "node:test";
import type { ElementView } from "../../../src/nftables/setelem.js";
import { SeenElements } from "../../../src/sources/sets/seen-elements.js";

/** view places key (and keyEnd) inside a payload after some other bytes, as a datagram holds them. */
function view(key: Buffer, flags = 0, keyEnd?: Buffer): ElementView {
  const payload = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), key, keyEnd ?? Buffer.alloc(0)]);
  return {
    payload,
    keyAt: 3,
    keyLen: key.length,
    keyEndAt: keyEnd ? 3 + key.length : -1,
    keyEndLen: keyEnd?.length ?? 0,
    flags,
    comment: undefined,
    counted: true,
    counter: new Uint32Array(4),
  };
}

const ipv4 = (n: number): ElementView => {
  const key = Buffer.alloc(4);
  key.writeUInt32BE(n >>> 0);
  return view(key);
};

test("SeenElements: every IPv4 key once, through the table's growth, 0.0.0.0 and 255.255.255.255 included", () => {
  const seen = new SeenElements();
  const keys = [0, 0xffffffff, ...Array.from({ length: 50_000 }, (_, i) => (0x0a000000 + i * 7919) >>> 0)];
  for (const k of keys) assert.equal(seen.add(ipv4(k)), true, `first ${k}`);
  for (const k of keys) assert.equal(seen.add(ipv4(k)), false, `repeat ${k}`);
  assert.equal(seen.add(ipv4(0x0b000000)), true);
});

test("SeenElements: other keys by their bytes, flags and end; an interval's end is not its start", () => {
  const seen = new SeenElements();
  const v6 = Buffer.from("20010db8000000000000000000000001", "hex");
  const ten = () => Buffer.from([10, 0, 0, 0]);
  for (const v of [view(ten()), view(ten(), 1), view(ten(), 0, Buffer.from([10, 0, 0, 9])), view(v6)])
    assert.equal(seen.add(v), true);
  assert.equal(seen.add(view(Buffer.from(v6))), false);
  assert.equal(seen.add(view(ten(), 1)), false);
  assert.equal(seen.add(view(ten(), 0, Buffer.from([10, 0, 0, 9]))), false);
  assert.equal(seen.add(view(ten(), 0, Buffer.from([10, 0, 0, 8]))), true);
});
