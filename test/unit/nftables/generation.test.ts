import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import { parseMessages } from "../../../src/netlink/message.js";
import type { NetlinkSocket } from "../../../src/netlink/socket.js";
import { generationOf, readGeneration } from "../../../src/nftables/generation.js";
import { commitBarrierRequest, getGenerationRequest } from "../../../src/nftables/requests.js";

/**
 * Captured from Linux 6.18 (x86_64) in a fresh namespace after one commit (`nft add table inet t`): the reply
 * to getGenerationRequest(77), NFT_MSG_NEWGEN (NFTA_GEN_ID 2, NFTA_GEN_PROC_PID, NFTA_GEN_PROC_NAME "node")
 * and the ACK, in one datagram each.
 */
const NEWGEN =
  "300000000f0a00004d000000e318000000000002080001000000000208000200000018e3090003006e6f646500000000";
const ACK = "24000000020000014d000000e31800000000000014000000100a05004d00000000000000";

/**
 * A socket double that answers each request with captured datagrams, their sequence numbers set to the
 * request's plus `seqDelta` (a reply to another request when not 0).
 */
function replaying(
  replies: { hex: string; seqDelta?: number; generation?: number }[][],
): NetlinkSocket & { sent: Buffer[] } {
  let seq = 0;
  const sock = {
    sent: [] as Buffer[],
    send: async (b: Buffer) => {
      sock.sent.push(b);
      seq = [...parseMessages(b)][0]?.seq ?? 0;
    },
    recvMany: async () => {
      const next = replies.shift();
      if (!next) throw new Error("no more replies");
      return next.map(({ hex, seqDelta = 0, generation }) => {
        const datagram = Buffer.from(hex, "hex");
        datagram.writeUInt32LE(seq + seqDelta, 8);
        // NFTA_GEN_ID's value: after nlmsghdr (16), nfgenmsg (4) and the attribute's header (4).
        if (generation !== undefined) datagram.writeUInt32BE(generation, 24);
        return datagram;
      });
    },
  };
  return sock as unknown as NetlinkSocket & { sent: Buffer[] };
}

describe("ruleset generation", () => {
  test("NFTA_GEN_ID is read from a captured NEWGEN", () => {
    const [msg] = [...parseMessages(Buffer.from(NEWGEN, "hex"))];
    assert.equal(generationOf(msg?.payload ?? Buffer.alloc(0)), 2);
  });

  test("a NEWGEN without NFTA_GEN_ID, or truncated, gives no generation", () => {
    assert.equal(generationOf(Buffer.from("00000002", "hex")), undefined);
    assert.equal(generationOf(Buffer.from("0000000208000100000000", "hex")), undefined);
  });

  test("readGeneration skips replies to other requests and returns at the ACK", async () => {
    const sock = replaying([[{ hex: NEWGEN, seqDelta: -1, generation: 9 }], [{ hex: NEWGEN }, { hex: ACK }]]);
    assert.equal(await readGeneration(sock), 2);
    const [sent] = [...parseMessages(sock.sent[0] as Buffer)];
    assert.equal(sent?.type, 0x0a10, "NFT_MSG_GETGEN of the nf_tables subsystem");
  });

  test("an ACK without NEWGEN is a decode error, not generation 0", async () => {
    const sock = replaying([[{ hex: ACK }]]);
    await assert.rejects(readGeneration(sock), { code: ErrorCodes.DECODE });
  });
});

describe("the commit barrier", () => {
  test("is an empty nf_tables batch: BATCH_BEGIN and BATCH_END, res_id NFNL_SUBSYS_NFTABLES, nothing between", () => {
    const messages = [...parseMessages(commitBarrierRequest(5))];
    assert.deepEqual(
      messages.map((m) => [m.type, m.flags, m.seq, m.payload.toString("hex")]),
      [
        [0x10, 0x1, 5, "0000000a"],
        [0x11, 0x5, 5, "0000000a"],
      ],
    );
  });

  test("the generation request asks for an ACK, so that its end is known", () => {
    const [m] = [...parseMessages(getGenerationRequest(9))];
    assert.deepEqual([m?.type, m?.flags, m?.seq, m?.payload.toString("hex")], [0x0a10, 0x5, 9, "00000000"]);
  });
});
