/**
 * The kernel floor: the cheapest read nfprom's transport allows. It sends the same rule dump request as the
 * reader (getRulesRequest) on the same NetlinkSocket (koffi async recv, 64 KiB buffer) and receives datagrams
 * until one holds NLMSG_DONE, finding it by walking the nlmsghdr headers only: no rule is decoded.
 * What remains is the kernel's dump cost plus one koffi round trip per datagram.
 */
import { HOST_ORDER } from "../src/netlink/byteorder.js";
import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from "../src/netlink/constants.js";
import type { NetlinkSocket } from "../src/netlink/socket.js";
import { NFT_MSG_NEWRULE, nftMessageType } from "../src/nftables/constants.js";
import { getRulesRequest } from "../src/nftables/requests.js";

const LE = HOST_ORDER === "little";
const NEWRULE = nftMessageType(NFT_MSG_NEWRULE);

export interface FloorResult {
  datagrams: number;
  bytes: number;
  /** NFT_MSG_NEWRULE headers seen (counted from the header type, not decoded): a sanity check on N. */
  rules: number;
}

let nextSeq = 0x40000000;

/** floorDump runs one dump of `table`/`chain` in `family` and returns what crossed the socket. */
export async function floorDump(
  sock: NetlinkSocket,
  family: number,
  table: string,
  chain: string,
): Promise<FloorResult> {
  const seq = nextSeq++;
  await sock.send(getRulesRequest(seq, family, table, chain));
  const out: FloorResult = { datagrams: 0, bytes: 0, rules: 0 };
  for (;;) {
    const d = await sock.recv();
    out.datagrams++;
    out.bytes += d.length;
    let off = 0;
    while (off + NLMSG_HDRLEN <= d.length) {
      const len = LE ? d.readUInt32LE(off) : d.readUInt32BE(off);
      const type = LE ? d.readUInt16LE(off + 4) : d.readUInt16BE(off + 4);
      const flags = LE ? d.readUInt16LE(off + 6) : d.readUInt16BE(off + 6);
      if (len < NLMSG_HDRLEN) throw new Error(`floor: bad nlmsghdr length ${len} at offset ${off}`);
      if (flags & NLM_F_DUMP_INTR) throw new Error("floor: dump interrupted (ruleset changed)");
      if (type === NLMSG_DONE) return out;
      if (type === NLMSG_ERROR) {
        const err = LE ? d.readInt32LE(off + NLMSG_HDRLEN) : d.readInt32BE(off + NLMSG_HDRLEN);
        throw new Error(`floor: kernel error ${-err}`);
      }
      if (type === NEWRULE) out.rules++;
      off += (len + 3) & ~3;
    }
  }
}
