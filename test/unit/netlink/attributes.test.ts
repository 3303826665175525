import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { AttributeDecoder } from "../../../src/netlink/attributes.js";
import { attr, attrHeader, attrs } from "../helpers/netlink.js";

type Order = "big" | "little";
type Getter = "u8" | "u16" | "u32" | "u64";

function read(ad: AttributeDecoder, getter: Getter): number | bigint {
  return ad[getter]();
}

/** one decodes a buffer holding one attribute and returns the decoder positioned on it. */
function one(buf: Buffer, order: Order = "big"): AttributeDecoder {
  const ad = new AttributeDecoder(buf, order);
  assert.equal(ad.next(), true, `next() on ${buf.toString("hex")}: ${ad.err?.message}`);
  return ad;
}

describe("AttributeDecoder integers", () => {
  const cases: { getter: Getter; payload: number[]; big: number | bigint; little: number | bigint }[] = [
    { getter: "u8", payload: [0xab], big: 0xab, little: 0xab },
    { getter: "u16", payload: [0x12, 0x34], big: 0x1234, little: 0x3412 },
    { getter: "u16", payload: [0xff, 0xfe], big: 0xfffe, little: 0xfeff },
    { getter: "u32", payload: [0x01, 0x02, 0x03, 0x04], big: 0x01020304, little: 0x04030201 },
    { getter: "u32", payload: [0xff, 0xff, 0xff, 0xfe], big: 0xfffffffe, little: 0xfeffffff },
    {
      getter: "u64",
      payload: [1, 2, 3, 4, 5, 6, 7, 8],
      big: 0x0102030405060708n,
      little: 0x0807060504030201n,
    },
    { getter: "u64", payload: Array(8).fill(0xff), big: 2n ** 64n - 1n, little: 2n ** 64n - 1n },
    { getter: "u64", payload: [0x80, 0, 0, 0, 0, 0, 0, 5], big: 2n ** 63n + 5n, little: 0x0500000000000080n },
    { getter: "u64", payload: [0, 0x20, 0, 0, 0, 0, 0, 1], big: 2n ** 53n + 1n, little: 0x0100000000002000n },
  ];
  for (const c of cases) {
    for (const order of ["big", "little"] as const) {
      test(`${c.getter} ${Buffer.from(c.payload).toString("hex")} ${order}-endian`, () => {
        const ad = one(attr(7, c.payload), order);
        assert.equal(ad.type, 7);
        assert.equal(ad.length, c.payload.length);
        assert.equal(read(ad, c.getter), order === "big" ? c.big : c.little);
        assert.equal(ad.err, undefined);
      });
    }
  }
});

describe("AttributeDecoder.u64To", () => {
  for (const order of ["big", "little"] as const) {
    test(`fills a BigUint64Array element as u64() reads it (${order}-endian)`, () => {
      const values = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n + 5n, 2n ** 64n - 1n];
      const column = new BigUint64Array(values.length + 1);
      const words = new Uint32Array(column.buffer);
      values.forEach((v, i) => {
        const payload = Buffer.alloc(8);
        if (order === "big") payload.writeBigUInt64BE(v);
        else payload.writeBigUInt64LE(v);
        one(attr(1, payload), order).u64To(words, 2 * (i + 1));
        assert.equal(one(attr(1, payload), order).u64(), v);
      });
      assert.deepEqual([...column], [0n, ...values]);
    });
  }

  test("a value of the wrong size stores 0 and records the error", () => {
    const words = new Uint32Array([7, 7]);
    const ad = one(attr(1, [1, 2, 3, 4]));
    ad.u64To(words, 0);
    assert.deepEqual([...words], [0, 0]);
    assert.match(ad.err?.message ?? "", /not a u64/);
  });
});

describe("AttributeDecoder strings and bytes", () => {
  const cases: { name: string; buf: Buffer; want: string }[] = [
    { name: "NUL-terminated", buf: attr(1, "firewall\0"), want: "firewall" },
    { name: "without NUL", buf: attr(1, "abc"), want: "abc" },
    { name: "stops at the first NUL", buf: attr(1, "ab\0cd\0"), want: "ab" },
    { name: "empty", buf: attr(1, ""), want: "" },
    { name: "only NUL", buf: attr(1, "\0"), want: "" },
    { name: "UTF-8", buf: attr(1, "Überwachung 日本 📈\0"), want: "Überwachung 日本 📈" },
    // 4-byte payload without NUL and no padding: the next header's zero byte must not be read as the end.
    {
      name: "no NUL, next attribute follows",
      buf: attrs(attr(1, "abcd"), attr(2, [1, 0, 0, 0])),
      want: "abcd",
    },
  ];
  for (const c of cases) {
    test(`string: ${c.name}`, () => {
      assert.equal(one(c.buf).string(), c.want);
    });
  }

  test("parsePayload hands over the payload's range of the buffer, nothing past it", () => {
    const buf = attrs(attr(1, [1, 2]), attr(2, [3, 4, 5]), attr(3, [6]));
    const ad = new AttributeDecoder(buf, "big");
    ad.next();
    ad.next();
    assert.deepEqual(
      ad.parsePayload((b, start, end) => [...b.subarray(start, end)]),
      [3, 4, 5],
    );
  });

  test("bytes() is a copy, view() shares the datagram", () => {
    const buf = attr(1, [1, 2, 3]);
    const ad = one(buf);
    const copy = ad.bytes();
    const view = ad.view();
    buf[4] = 0x99;
    assert.deepEqual([...copy], [1, 2, 3]);
    assert.deepEqual([...view], [0x99, 2, 3]);
  });

  test("type masks NLA_F_NESTED and NLA_F_NET_BYTEORDER; flags keeps them", () => {
    const ad = new AttributeDecoder(
      attrs(attr(0x8000 | 4, []), attr(0x4000 | 3, []), attr(0xc000 | 2, [])),
      "big",
    );
    const seen: [number, number][] = [];
    while (ad.next()) seen.push([ad.type, ad.flags]);
    assert.deepEqual(seen, [
      [4, 0x8000],
      [3, 0x4000],
      [2, 0xc000],
    ]);
    assert.equal(ad.err, undefined);
  });
});

describe("AttributeDecoder walking and padding", () => {
  test("an empty buffer has no attributes and no error", () => {
    const ad = new AttributeDecoder(Buffer.alloc(0), "big");
    assert.equal(ad.next(), false);
    assert.equal(ad.err, undefined);
  });

  test("payloads of 1..9 bytes are padded to 4 and the following attribute is found", () => {
    for (let n = 0; n <= 9; n++) {
      const ad = new AttributeDecoder(attrs(attr(1, Array(n).fill(0x61)), attr(2, [0, 0, 0, 42])), "big");
      assert.equal(ad.next(), true);
      assert.equal(ad.length, n);
      assert.equal(ad.next(), true, `after a ${n}-byte payload`);
      assert.equal(ad.type, 2);
      assert.equal(ad.u32(), 42);
      assert.equal(ad.next(), false);
      assert.equal(ad.err, undefined);
    }
  });

  test("the last attribute may omit its padding (as the kernel's nla_ok allows)", () => {
    const buf = Buffer.concat([attrHeader(5, 1), Buffer.from([7])]); // 5 bytes, no padding
    const ad = new AttributeDecoder(buf, "big");
    assert.equal(ad.next(), true);
    assert.equal(ad.u8(), 7);
    assert.equal(ad.next(), false);
    assert.equal(ad.err, undefined);
  });

  const malformed: { name: string; buf: Buffer; message: string; good: number }[] = [
    {
      name: "header runs past the end",
      buf: attrHeader(12, 3).subarray(0, 4),
      message: "attribute 3 at offset 0: length 12, 4 bytes left",
      good: 0,
    },
    {
      name: "length past the end",
      buf: Buffer.concat([attrHeader(12, 3), Buffer.alloc(4)]),
      message: "attribute 3 at offset 0: length 12, 8 bytes left",
      good: 0,
    },
    {
      name: "length < 4",
      buf: Buffer.concat([attrHeader(2, 5), Buffer.alloc(4)]),
      message: "attribute 5 at offset 0: length 2, 8 bytes left",
      good: 0,
    },
    {
      name: "length 0 (would loop forever)",
      buf: Buffer.concat([attrHeader(0, 5), Buffer.alloc(4)]),
      message: "attribute 5 at offset 0: length 0, 8 bytes left",
      good: 0,
    },
    {
      name: "a 3-byte buffer (header cut short)",
      buf: Buffer.from([8, 0, 1]),
      message: "attribute header at offset 0: 3 bytes left",
      good: 0,
    },
    {
      name: "2 stray bytes after an attribute",
      buf: Buffer.concat([attr(1, [0, 0, 0, 1]), Buffer.from([1, 2])]),
      message: "attribute header at offset 8: 2 bytes left",
      good: 1,
    },
    {
      name: "second attribute too long",
      buf: attrs(attr(1, [1]), attrHeader(200, 9)),
      message: "attribute 9 at offset 8: length 200, 4 bytes left",
      good: 1,
    },
    {
      name: "nested type flags masked in the message",
      buf: attrHeader(64, 0x8000 | 4),
      message: "attribute 4 at offset 0: length 64, 4 bytes left",
      good: 0,
    },
  ];
  for (const c of malformed) {
    test(`malformed: ${c.name}`, () => {
      const ad = new AttributeDecoder(c.buf, "big");
      let good = 0;
      while (ad.next()) good++;
      assert.equal(good, c.good);
      assert.ok(ad.err instanceof NfpromError);
      assert.equal(ad.err.code, ErrorCodes.DECODE);
      assert.equal(ad.err.message, `netlink: ${c.message}`);
      assert.equal(ad.next(), false, "next() stays false after the error");
    });
  }
});

describe("AttributeDecoder errors", () => {
  const wrongSize: { getter: Getter; payload: number[]; message: string }[] = [
    { getter: "u8", payload: [1, 2], message: "attribute 9 is not a u8: length 2" },
    { getter: "u16", payload: [1], message: "attribute 9 is not a u16: length 1" },
    { getter: "u16", payload: [1, 2, 3, 4], message: "attribute 9 is not a u16: length 4" },
    { getter: "u32", payload: [1, 2], message: "attribute 9 is not a u32: length 2" },
    { getter: "u32", payload: [1, 2, 3, 4, 5, 6, 7, 8], message: "attribute 9 is not a u32: length 8" },
    { getter: "u64", payload: [1, 2, 3, 4], message: "attribute 9 is not a u64: length 4" },
    { getter: "u64", payload: [], message: "attribute 9 is not a u64: length 0" },
  ];
  for (const c of wrongSize) {
    test(`${c.getter} of ${c.payload.length} bytes: zero value and "${c.message}"`, () => {
      const ad = one(attrs(attr(9, c.payload), attr(1, [0, 0, 0, 1])));
      assert.equal(read(ad, c.getter), c.getter === "u64" ? 0n : 0);
      assert.equal(ad.err?.code, ErrorCodes.DECODE);
      assert.equal(ad.err?.message, `netlink: ${c.message}`);
    });
  }

  test("the first error sticks: next() stays false, getters return zero values", () => {
    const ad = one(attrs(attr(5, [1, 2]), attr(1, [0, 0, 0, 1]), attr(2, "x\0")));
    assert.equal(ad.u32(), 0);
    const first = ad.err;
    assert.equal(first?.message, "netlink: attribute 5 is not a u32: length 2");
    assert.equal(ad.next(), false);
    assert.equal(ad.next(), false);
    assert.equal(ad.u8(), 0);
    assert.equal(ad.u16(), 0);
    assert.equal(ad.u32(), 0);
    assert.equal(ad.u64(), 0n);
    assert.equal(ad.string(), "");
    assert.equal(ad.bytes().length, 0);
    assert.equal(ad.view().length, 0);
    let called = false;
    ad.nested(() => {
      called = true;
    });
    assert.equal(called, false, "nested() does not run after an error");
    assert.equal(ad.err, first, "a later wrong-size read does not replace the first error");
  });
});

describe("AttributeDecoder.nested", () => {
  test("the child decodes the payload in the parent's byte order", () => {
    for (const order of ["big", "little"] as const) {
      const inner = attrs(attr(1, [0, 0, 1, 0]), attr(2, "name\0"));
      const ad = new AttributeDecoder(attrs(attr(0x8000 | 4, inner), attr(6, [9])), order);
      assert.equal(ad.next(), true);
      const got: (number | string)[] = [];
      ad.nested((child) => {
        assert.equal(child.byteOrder, order);
        while (child.next()) got.push(child.type === 1 ? child.u32() : child.string());
      });
      assert.deepEqual(got, [order === "big" ? 256 : 65536, "name"]);
      assert.equal(ad.next(), true, "the parent continues after the nested attribute");
      assert.equal(ad.u8(), 9);
      assert.equal(ad.err, undefined);
    }
  });

  test("the child's error becomes the parent's and stops the parent", () => {
    const inner = attrs(attr(1, [0, 0, 0, 1]), attrHeader(40, 2));
    const ad = new AttributeDecoder(attrs(attr(0x8000 | 4, inner), attr(6, [9])), "big");
    assert.equal(ad.next(), true);
    ad.nested((child) => {
      while (child.next()) child.u32();
    });
    assert.equal(ad.err?.message, "netlink: attribute 2 at offset 8: length 40, 4 bytes left");
    assert.equal(ad.next(), false);
  });

  test("the child cannot read past its parent's payload", () => {
    // Inner length 12 claims 8 payload bytes but the nested attribute only holds 4 of them.
    const buf = attrs(attr(0x8000 | 4, attrHeader(12, 1)), attr(1, [0, 0, 0, 0, 0, 0, 0, 0]));
    const ad = new AttributeDecoder(buf, "big");
    assert.equal(ad.next(), true);
    ad.nested((child) => {
      while (child.next()) child.u64();
    });
    assert.equal(ad.err?.message, "netlink: attribute 1 at offset 0: length 12, 4 bytes left");
  });
});

describe("AttributeDecoder.descend / ascend", () => {
  test("walks a nested attribute in place, then resumes after it, two levels deep", () => {
    const deeper = attrs(attr(7, [0, 0, 0, 5]));
    const inner = attrs(attr(1, [0, 0, 1, 0]), attr(0x8000 | 3, deeper), attr(2, "name\0"));
    const ad = new AttributeDecoder(attrs(attr(0x8000 | 4, inner), attr(6, [9])), "big");
    assert.equal(ad.next(), true);
    const got: (number | string)[] = [];
    ad.descend();
    while (ad.next()) {
      if (ad.type === 3) {
        ad.descend();
        while (ad.next()) got.push(ad.u32());
        ad.ascend();
      } else got.push(ad.type === 1 ? ad.u32() : ad.string());
    }
    ad.ascend();
    assert.deepEqual(got, [256, 5, "name"]);
    assert.equal(ad.next(), true, "continues after the nested attribute");
    assert.equal(ad.u8(), 9);
    assert.equal(ad.next(), false);
    assert.equal(ad.err, undefined);
  });

  test("an error below sticks after ascend, with the offset inside the nested payload", () => {
    const inner = attrs(attr(1, [0, 0, 0, 1]), attrHeader(40, 2));
    const ad = new AttributeDecoder(attrs(attr(0x8000 | 4, inner), attr(6, [9])), "big");
    ad.next();
    ad.descend();
    while (ad.next()) ad.u32();
    ad.ascend();
    assert.equal(ad.err?.message, "netlink: attribute 2 at offset 8: length 40, 4 bytes left");
    assert.equal(ad.next(), false);
  });

  test("ten levels deep (past the first stack's room), each ascend resumes its own level", () => {
    let buf = attr(1, [0, 0, 0, 10]);
    for (let level = 9; level >= 1; level--)
      buf = attrs(attr(1, [0, 0, 0, level]), attr(0x8000 | 2, buf), attr(3, [level]));
    const ad = new AttributeDecoder(buf, "big");
    const got: number[] = [];
    const walk = (): void => {
      while (ad.next()) {
        if (ad.type === 1) got.push(ad.u32());
        else if (ad.type === 3) got.push(-ad.u8());
        else {
          ad.descend();
          walk();
          ad.ascend();
        }
      }
    };
    walk();
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -9, -8, -7, -6, -5, -4, -3, -2, -1]);
    assert.equal(ad.err, undefined);
  });

  test("ascend without descend is a programming error", () => {
    assert.throws(() => new AttributeDecoder(Buffer.alloc(0), "big").ascend(), /without descend/);
  });
});

describe("AttributeDecoder on a pooled buffer", () => {
  test("reads at the view's offsets, not the backing store's (non-zero byteOffset)", () => {
    const encoded = attrs(
      attr(1, [0x12, 0x34]),
      attr(2, [0xde, 0xad, 0xbe, 0xef]),
      attr(3, [0x80, 0, 0, 0, 0, 0, 0, 5]),
      attr(4, "pooled\0"),
      attr(5, [0xfe]),
    );
    const pool = Buffer.alloc(8192, 0xaa); // garbage everywhere else
    const at = 4099; // odd, unaligned offset
    encoded.copy(pool, at);
    const view = pool.subarray(at, at + encoded.length);
    assert.notEqual(view.byteOffset, 0);
    assert.equal(view.buffer.byteLength, 8192);

    // Buffer.from(string) small allocations come from Node's shared pool as well.
    const fromPool = Buffer.from(encoded.toString("hex"), "hex");

    for (const buf of [view, fromPool]) {
      const ad = new AttributeDecoder(buf, "big");
      const got: unknown[] = [];
      while (ad.next()) {
        if (ad.type === 1) got.push(ad.u16());
        else if (ad.type === 2) got.push(ad.u32());
        else if (ad.type === 3) got.push(ad.u64());
        else if (ad.type === 4) got.push(ad.string());
        else got.push(ad.u8());
      }
      assert.equal(ad.err, undefined);
      assert.deepEqual(got, [0x1234, 0xdeadbeef, 2n ** 63n + 5n, "pooled", 0xfe]);
    }
  });
});
