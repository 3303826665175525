import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { type NetlinkMessage, parseMessages } from "../../../src/netlink/message.js";
import { commentFromUserdata, counterOf, ruleFromMessage } from "../../../src/nftables/rule.js";
import { type DecodedRule, decodeDump, reduce } from "../helpers/dump.js";
import { bigOrUndefined, datagramsOf, loadFixture } from "../helpers/fixtures.js";
import { attr, nlmsg, u64be } from "../helpers/netlink.js";

const NEWRULE = 0x0a06;
const NESTED = 0x8000;

const basic = loadFixture("basic");
const basicDatagram = datagramsOf(basic)[0] as Buffer;
const expected: DecodedRule[] = basic.rules.map((r) => ({
  family: 1,
  table: r.table,
  chain: r.chain,
  handle: BigInt(r.handle),
  bytes: bigOrUndefined(r.bytes),
  packets: bigOrUndefined(r.packets),
  comment: r.comment ?? undefined,
}));

function messages(datagram: Buffer): NetlinkMessage[] {
  return [...parseMessages(datagram)];
}

/** ruleMessage builds one NEWRULE message from the attributes after nfgenmsg. */
function ruleMessage(...attributes: Buffer[]): NetlinkMessage {
  const payload = Buffer.concat([Buffer.from([1, 0, 0, 0]), ...attributes]);
  return messages(nlmsg({ type: NEWRULE, payload }))[0] as NetlinkMessage;
}

function counterExpr(bytes: bigint, packets: bigint): Buffer {
  return attr(
    NESTED | 1,
    Buffer.concat([
      attr(1, "counter\0"),
      attr(NESTED | 2, Buffer.concat([attr(1, u64be(bytes)), attr(2, u64be(packets))])),
    ]),
  );
}

function isDecodeError(err: unknown): boolean {
  return err instanceof NfpromError && err.code === ErrorCodes.DECODE;
}

describe("ruleFromMessage", () => {
  test("decodes table, chain, handle, expressions by name and comment", () => {
    const rule = ruleFromMessage(messages(basicDatagram)[0] as NetlinkMessage);
    assert.equal(rule.family, 1);
    assert.equal(rule.table, "firewall");
    assert.equal(rule.chain, "accounting");
    assert.equal(rule.handle, 2n);
    assert.equal(rule.comment, "nft(l2proto=ipv4;l3proto=tcp;service=SSH;dir=in)");
    // ip daddr 203.0.113.140 tcp dport 22 counter return, in an inet table
    assert.deepEqual(
      rule.exprs.map((e) => (e.kind === "unknown" ? e.name : e.kind)),
      ["meta", "cmp", "payload", "cmp", "meta", "cmp", "payload", "cmp", "counter", "immediate"],
    );
    assert.deepEqual(counterOf(rule), { kind: "counter", bytes: 3456n, packets: 12n });
  });

  test("a synthetic rule: first counter wins, unknown attributes are skipped", () => {
    const rule = ruleFromMessage(
      ruleMessage(
        attr(3, u64be(2n ** 64n - 1n)),
        attr(99, [1, 2, 3]),
        attr(NESTED | 4, Buffer.concat([counterExpr(5n, 1n), counterExpr(7n, 2n)])),
        attr(7, [0, 3, 0x61, 0x62, 0]),
      ),
    );
    assert.equal(rule.handle, 2n ** 64n - 1n);
    assert.equal(rule.comment, "ab");
    assert.deepEqual(counterOf(rule), { kind: "counter", bytes: 5n, packets: 1n });
  });

  test("a rule without a counter statement has counterOf undefined", () => {
    const rule = ruleFromMessage(ruleMessage(attr(3, u64be(6n))));
    assert.equal(counterOf(rule), undefined);
    assert.equal(rule.comment, undefined);
  });

  const wrongType: [string, Buffer][] = [
    ["NLMSG_DONE", datagramsOf(loadFixture("empty"))[0] as Buffer],
    ["NFT_MSG_NEWCHAIN", datagramsOf(loadFixture("chain-found"))[0] as Buffer],
    ["NLMSG_ERROR", datagramsOf(loadFixture("missing-chain"))[0] as Buffer],
  ];
  for (const [name, datagram] of wrongType) {
    test(`a ${name} message is not a rule`, () => {
      const msg = messages(datagram)[0] as NetlinkMessage;
      assert.throws(() => ruleFromMessage(msg), {
        code: ErrorCodes.DECODE,
        message: `nftables: expected NFT_MSG_NEWRULE, got message type 0x${msg.type.toString(16)}`,
      });
    });
  }

  test("a rule message shorter than nfgenmsg is NFPROM_DECODE", () => {
    const msg = messages(nlmsg({ type: NEWRULE, payload: [1, 0] }))[0] as NetlinkMessage;
    assert.throws(() => ruleFromMessage(msg), {
      code: ErrorCodes.DECODE,
      message: "nftables: rule message of 2 bytes",
    });
  });
});

describe("corrupted rules never yield wrong numbers", () => {
  const bytesAttrAt = basicDatagram.indexOf("counter\0") + 8 + 4; // NFTA_EXPR_DATA header, then BYTES
  const corruptions: { name: string; length: number; message: RegExp }[] = [
    {
      name: "counter bytes attribute too short",
      length: 10,
      message: /^nftables: rule 2: netlink: attribute 1 is not a u64: length 6$/,
    },
    {
      name: "counter bytes attribute past its parent",
      length: 0xff,
      message: /^nftables: rule 2: netlink: attribute 1 at offset 0: length 255, 24 bytes left$/,
    },
    {
      name: "counter bytes attribute length 3",
      length: 3,
      message: /^nftables: rule 2: netlink: attribute 1 at offset 0: length 3, 24 bytes left$/,
    },
  ];
  for (const c of corruptions) {
    test(c.name, () => {
      const d = Buffer.from(basicDatagram);
      assert.equal(d.readUInt16LE(bytesAttrAt), 12, "found NFTA_COUNTER_BYTES");
      d.writeUInt16LE(c.length, bytesAttrAt);
      assert.throws(() => decodeDump([d]), { code: ErrorCodes.DECODE, message: c.message });
    });
  }

  test("a datagram cut anywhere either throws NFPROM_DECODE or yields an exact prefix of the rules", () => {
    let threw = 0;
    for (let cut = 0; cut < basicDatagram.length; cut++) {
      let rules: DecodedRule[];
      try {
        rules = decodeDump([basicDatagram.subarray(0, cut)]).rules;
      } catch (err) {
        assert.ok(isDecodeError(err), `cut at ${cut}: ${err}`);
        threw++;
        continue;
      }
      assert.deepEqual(rules, expected.slice(0, rules.length), `cut at ${cut}`);
    }
    assert.ok(threw > basicDatagram.length - 10, `only ${threw} cuts threw`);
  });

  test("a rule cut inside an attribute (nlmsg_len patched to match) throws; at a boundary it loses fields, never values", () => {
    const msgs = messages(basicDatagram);
    for (const [index, msg] of msgs.entries()) {
      if (msg.type !== NEWRULE) continue;
      const want = expected[index] as DecodedRule;
      // Top-level attribute extents after the 4-byte nfgenmsg: [start, start + nla_len).
      const extents: [number, number][] = [];
      for (let off = 4; off < msg.payload.length; ) {
        const len = msg.payload.readUInt16LE(off);
        extents.push([off, off + len]);
        off += (len + 3) & ~3;
      }
      for (let cut = 4; cut < msg.payload.length; cut++) {
        const cutMsg = { ...msg, payload: msg.payload.subarray(0, cut) };
        const inside = extents.some(([start, end]) => cut > start && cut < end);
        let got: DecodedRule;
        try {
          got = reduce(ruleFromMessage(cutMsg));
        } catch (err) {
          assert.ok(isDecodeError(err), `rule ${want.handle} cut at ${cut}: ${err}`);
          assert.ok(inside, `rule ${want.handle} cut at ${cut} (a boundary) threw ${err}`);
          continue;
        }
        assert.ok(!inside, `rule ${want.handle} cut at ${cut} inside an attribute decoded`);
        assert.ok(got.handle === want.handle || got.handle === 0n, `handle at cut ${cut}`);
        assert.ok(got.bytes === want.bytes || got.bytes === undefined, `bytes at cut ${cut}`);
        assert.ok(got.packets === want.packets || got.packets === undefined, `packets at cut ${cut}`);
        assert.ok(got.comment === want.comment || got.comment === undefined, `comment at cut ${cut}`);
      }
    }
  });
});

describe("commentFromUserdata", () => {
  const cases: { name: string; udata: number[] | Buffer; want: string | undefined }[] = [
    { name: "empty", udata: [], want: undefined },
    { name: "one byte", udata: [0], want: undefined },
    { name: "comment with NUL", udata: [0, 4, 0x61, 0x62, 0x63, 0], want: "abc" },
    { name: "comment without NUL", udata: [0, 3, 0x61, 0x62, 0x63], want: "abc" },
    { name: "empty comment", udata: [0, 0], want: "" },
    { name: "comment stops at its first NUL", udata: [0, 5, 0x61, 0, 0x62, 0x63, 0], want: "a" },
    { name: "NUL only after the TLV", udata: [0, 2, 0x61, 0x62, 1, 1, 0], want: "ab" },
    { name: "other TLV first", udata: [1, 2, 9, 9, 0, 2, 0x78, 0], want: "x" },
    { name: "zero-length TLV first", udata: [1, 0, 0, 2, 0x78, 0], want: "x" },
    { name: "no comment TLV", udata: [1, 2, 9, 9, 2, 1, 0], want: undefined },
    { name: "comment length past the end", udata: [0, 10, 0x61, 0x62], want: undefined },
    { name: "other TLV length past the end", udata: [1, 200, 0, 3, 0x61, 0x62, 0], want: undefined },
    { name: "dangling type byte after another TLV", udata: [1, 1, 9, 0], want: undefined },
    { name: "UTF-8", udata: Buffer.concat([Buffer.from([0, 10]), Buffer.from("Ü📈日\0")]), want: "Ü📈日" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(commentFromUserdata(Buffer.from(c.udata)), c.want);
    });
  }

  test("malformed userdata costs the comment, not the counters", () => {
    const rule = ruleFromMessage(
      ruleMessage(attr(3, u64be(4n)), attr(NESTED | 4, counterExpr(10n, 1n)), attr(7, [0, 50, 0x61])),
    );
    assert.equal(rule.comment, undefined);
    assert.deepEqual(counterOf(rule), { kind: "counter", bytes: 10n, packets: 1n });
  });
});
