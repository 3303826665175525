import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import {
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
} from "../../../src/netlink/constants.js";
import {
  checkMessage,
  encodeHeader,
  endsExchange,
  errnoName,
  KernelError,
  type NetlinkMessage,
  parseMessages,
} from "../../../src/netlink/message.js";
import { datagramsOf, loadFixture } from "../helpers/fixtures.js";
import { attr, hostI32, hostU32, nlmsg, orFlags } from "../helpers/netlink.js";

function only(datagram: Buffer): NetlinkMessage {
  const all = [...parseMessages(datagram)];
  assert.equal(all.length, 1);
  return all[0] as NetlinkMessage;
}

describe("parseMessages", () => {
  test("yields every message of a datagram with header fields and exact payloads", () => {
    const datagram = Buffer.concat([
      nlmsg({ type: 0x0a06, flags: NLM_F_MULTI, seq: 1, pid: 77, payload: [1, 2, 3, 4, 5] }),
      nlmsg({ type: 0x0a06, flags: NLM_F_MULTI, seq: 2, pid: 77, payload: [] }),
      nlmsg({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 0xfffffffe, pid: 0xffffffff, payload: hostI32(0) }),
    ]);
    const got = [...parseMessages(datagram)].map((m) => ({ ...m, payload: [...m.payload] }));
    assert.deepEqual(got, [
      { type: 0x0a06, flags: NLM_F_MULTI, seq: 1, pid: 77, payload: [1, 2, 3, 4, 5] },
      { type: 0x0a06, flags: NLM_F_MULTI, seq: 2, pid: 77, payload: [] },
      { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 0xfffffffe, pid: 0xffffffff, payload: [0, 0, 0, 0] },
    ]);
  });

  test("an empty datagram has no messages", () => {
    assert.deepEqual([...parseMessages(Buffer.alloc(0))], []);
  });

  test("the messages of the multipart fixture: 300 rules then DONE", () => {
    const f = loadFixture("multipart");
    const types = datagramsOf(f).flatMap((d) => [...parseMessages(d)].map((m) => m.type));
    assert.equal(types.length, 301);
    assert.equal(types.filter((t) => t === 0x0a06).length, 300);
    assert.equal(types.at(-1), NLMSG_DONE);
  });

  const malformed: { name: string; datagram: Buffer; message: string; before: number }[] = [
    {
      name: "short header",
      datagram: Buffer.alloc(10),
      message: "message header at offset 0: 10 bytes left",
      before: 0,
    },
    {
      name: "short header after a message",
      datagram: Buffer.concat([nlmsg({ type: 3, payload: hostI32(0) }), Buffer.alloc(8)]),
      message: "message header at offset 20: 8 bytes left",
      before: 1,
    },
    {
      name: "length past the end",
      datagram: nlmsg({ type: 0x0a06, payload: Buffer.alloc(4), length: 100 }),
      message: "message at offset 0: length 100, 20 bytes left",
      before: 0,
    },
    {
      name: "length below the header size",
      datagram: nlmsg({ type: 0x0a06, payload: Buffer.alloc(4), length: 8 }),
      message: "message at offset 0: length 8, 20 bytes left",
      before: 0,
    },
    {
      name: "length 0 (would loop forever)",
      datagram: nlmsg({ type: 0x0a06, payload: Buffer.alloc(4), length: 0 }),
      message: "message at offset 0: length 0, 20 bytes left",
      before: 0,
    },
  ];
  for (const c of malformed) {
    test(`malformed: ${c.name} throws NFPROM_DECODE after ${c.before} good messages`, () => {
      const it = parseMessages(c.datagram);
      for (let i = 0; i < c.before; i++) assert.equal(it.next().done, false);
      assert.throws(() => it.next(), {
        name: "NfpromError",
        code: ErrorCodes.DECODE,
        message: `netlink: ${c.message}`,
      });
    });
  }

  test("encodeHeader round-trips through parseMessages", () => {
    const buf = Buffer.alloc(24);
    encodeHeader(buf, 24, 0x0a07, 0x301, 123456);
    const m = only(buf);
    assert.deepEqual(
      { type: m.type, flags: m.flags, seq: m.seq, pid: m.pid, len: m.payload.length },
      {
        type: 0x0a07,
        flags: 0x301,
        seq: 123456,
        pid: 0,
        len: 8,
      },
    );
  });
});

/** errorMessage builds an NLMSG_ERROR: error, echoed header (capped) or request, then ext-ack TLVs. */
function errorMessage(error: number, flags: number, echoed: Buffer, tlvs: Buffer[] = []): NetlinkMessage {
  return only(
    nlmsg({ type: NLMSG_ERROR, flags, seq: 5, payload: Buffer.concat([hostI32(error), echoed, ...tlvs]) }),
  );
}

describe("endsExchange", () => {
  const rule = (seq: number) => nlmsg({ type: 0xa06, flags: NLM_F_MULTI, seq, payload: [1, 2, 3, 4, 5] });
  test("true at our NLMSG_DONE or NLMSG_ERROR, even after other messages; not for another request's", () => {
    assert.equal(endsExchange(Buffer.concat([rule(7), rule(7)]), 7), false);
    assert.equal(
      endsExchange(Buffer.concat([rule(7), nlmsg({ type: NLMSG_DONE, seq: 7, payload: hostI32(0) })]), 7),
      true,
    );
    assert.equal(
      endsExchange(Buffer.concat([rule(7), nlmsg({ type: NLMSG_ERROR, seq: 7, payload: hostI32(-1) })]), 7),
      true,
    );
    assert.equal(endsExchange(nlmsg({ type: NLMSG_DONE, seq: 6, payload: hostI32(0) }), 7), false);
    assert.equal(endsExchange(Buffer.alloc(0), 7), false);
  });
  test("a malformed datagram ends the exchange (decoding it will say why)", () => {
    assert.equal(endsExchange(rule(7).subarray(0, 10), 7), true);
    assert.equal(endsExchange(nlmsg({ type: 0xa06, seq: 7, length: 400 }), 7), true);
    assert.equal(endsExchange(nlmsg({ type: 0xa06, seq: 7, length: 8 }), 7), true);
  });
  test("agrees with parseMessages on the captured multipart dump", () => {
    const datagrams = datagramsOf(loadFixture("basic"));
    const seq = [...parseMessages(datagrams[0] as Buffer)][0]?.seq as number;
    assert.deepEqual(
      datagrams.map((d) => endsExchange(d, seq)),
      datagrams.map((d) =>
        [...parseMessages(d)].some((m) => m.seq === seq && (m.type === NLMSG_DONE || m.type === NLMSG_ERROR)),
      ),
    );
    assert.equal(endsExchange(datagrams.at(-1) as Buffer, seq), true);
  });
});

describe("checkMessage", () => {
  test("data messages and DONE return false", () => {
    const basic = datagramsOf(loadFixture("basic"));
    for (const d of basic)
      for (const m of parseMessages(d)) assert.equal(checkMessage(m, "dump rules"), false);
    const done = only(datagramsOf(loadFixture("empty"))[0] as Buffer);
    assert.equal(done.type, NLMSG_DONE);
    assert.equal(checkMessage(done, "dump rules"), false);
  });

  test("an ACK (NLMSG_ERROR with error 0) returns true: chain-found fixture", () => {
    const [newChain, ack] = datagramsOf(loadFixture("chain-found")) as [Buffer, Buffer];
    assert.equal(checkMessage(only(newChain), "look up chain"), false);
    assert.equal(checkMessage(only(ack), "look up chain"), true);
  });

  test("ENOENT with ext-ack OFFS pointing at the chain name: missing-chain fixture", () => {
    const f = loadFixture("missing-chain");
    const msg = only(datagramsOf(f)[0] as Buffer);
    assert.equal(msg.flags, NLM_F_CAPPED | NLM_F_ACK_TLVS);
    let caught: unknown;
    try {
      checkMessage(msg, "look up chain");
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof KernelError);
    assert.ok(caught instanceof NfpromError);
    assert.equal(caught.code, ErrorCodes.NETLINK);
    assert.equal(caught.errno, 2);
    assert.equal(caught.op, "look up chain");
    assert.equal(caught.message, "look up chain: ENOENT");
    assert.equal(caught.extAck, undefined);
    assert.equal(caught.extAckOffset, 36);
    // Offset 36 of the request is the NFTA_CHAIN_NAME attribute (type 3) the kernel did not find.
    const request = Buffer.from(f.request.hex, "hex");
    assert.equal(request.readUInt16LE(36 + 2), 3);
    assert.equal(request.toString("utf8", 40, 51), "nosuchchain");
  });

  test("ext-ack MSG and OFFS after a capped echo", () => {
    const msg = errorMessage(-1, NLM_F_CAPPED | NLM_F_ACK_TLVS, nlmsg({ type: 0x0a07, length: 52 }), [
      attr(NLMSGERR_ATTR_MSG, "Operation not permitted\0"),
      attr(NLMSGERR_ATTR_OFFS, hostU32(20)),
    ]);
    assert.throws(
      () => checkMessage(msg, "dump rules"),
      (err: unknown) => {
        assert.ok(err instanceof KernelError);
        assert.equal(err.message, "dump rules: EPERM (Operation not permitted)");
        assert.equal(err.errno, 1);
        assert.equal(err.extAck, "Operation not permitted");
        assert.equal(err.extAckOffset, 20);
        return true;
      },
    );
  });

  test("ext-ack after an uncapped echo of the whole request (padded to 4)", () => {
    const request = nlmsg({ type: 0x0a04, payload: [1, 0, 0, 0, 0xaa, 0xbb] }); // 22 bytes, padded to 24
    const msg = errorMessage(-16, NLM_F_ACK_TLVS, request, [attr(NLMSGERR_ATTR_MSG, "busy\0")]);
    assert.throws(() => checkMessage(msg, "op"), { message: "op: EBUSY (busy)", errno: 16 });
  });

  test("an error without NLM_F_ACK_TLVS has no ext-ack, even if bytes follow", () => {
    const msg = errorMessage(-22, NLM_F_CAPPED, nlmsg({ type: 0x0a07 }), [attr(NLMSGERR_ATTR_MSG, "x\0")]);
    assert.throws(
      () => checkMessage(msg, "op"),
      (err: unknown) => {
        assert.ok(err instanceof KernelError);
        assert.equal(err.message, "op: EINVAL");
        assert.equal(err.extAck, undefined);
        assert.equal(err.extAckOffset, undefined);
        return true;
      },
    );
  });

  test("a malformed ext-ack TLV does not hide the errno", () => {
    const msg = errorMessage(-2, NLM_F_CAPPED | NLM_F_ACK_TLVS, nlmsg({ type: 0x0a07 }), [
      Buffer.from([0xff, 0x00, 0x01, 0x00]),
    ]);
    assert.throws(() => checkMessage(msg, "op"), {
      code: ErrorCodes.NETLINK,
      message: "op: ENOENT",
      errno: 2,
    });
  });

  test("an NLMSG_ERROR shorter than its error code is NFPROM_DECODE", () => {
    const msg = only(nlmsg({ type: NLMSG_ERROR, payload: [0, 0] }));
    assert.throws(() => checkMessage(msg, "op"), {
      code: ErrorCodes.DECODE,
      message: "netlink: op: NLMSG_ERROR of 2 bytes",
    });
  });

  test("NLM_F_DUMP_INTR on a rule message is NFPROM_DUMP_INTR", () => {
    const datagram = orFlags(datagramsOf(loadFixture("basic"))[0] as Buffer, 0, NLM_F_DUMP_INTR);
    const first = [...parseMessages(datagram)][0] as NetlinkMessage;
    assert.equal(first.type, 0x0a06);
    assert.throws(() => checkMessage(first, "dump rules"), {
      name: "NfpromError",
      code: ErrorCodes.DUMP_INTR,
      message: "dump rules: ruleset changed during the dump (NLM_F_DUMP_INTR)",
    });
  });

  test("NLM_F_DUMP_INTR on NLMSG_DONE is NFPROM_DUMP_INTR", () => {
    const done = only(orFlags(datagramsOf(loadFixture("empty"))[0] as Buffer, 0, NLM_F_DUMP_INTR));
    assert.equal(done.type, NLMSG_DONE);
    assert.throws(() => checkMessage(done, "dump rules"), { code: ErrorCodes.DUMP_INTR });
  });

  test("NLMSG_DONE carrying a negative errno ends a failed dump and must throw", () => {
    // net/netlink/af_netlink.c netlink_dump_done() copies the dump callback's error into DONE's payload.
    const done = only(nlmsg({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 4, payload: hostI32(-105) }));
    assert.throws(() => checkMessage(done, "dump rules"), { code: ErrorCodes.NETLINK, errno: 105 });
  });
});

describe("errnoName", () => {
  const cases: [number, string][] = [
    [1, "EPERM"],
    [2, "ENOENT"],
    [16, "EBUSY"],
    [22, "EINVAL"],
    [105, "ENOBUFS"],
    [99, "errno 99"],
  ];
  for (const [errno, name] of cases) test(`${errno} → ${name}`, () => assert.equal(errnoName(errno), name));
});
