/**
 * The kernel floor: the cheapest read nfprom's transport allows. It sends the same dump request as the
 * reader (rules, objects, set elements) on the same NetlinkSocket (recvMany: koffi async recvmmsg, up to
 * RECV_BATCH datagrams of 64 KiB a call) and receives datagrams until one holds NLMSG_DONE, finding it by
 * walking the nlmsghdr headers only: nothing is decoded. What remains is the kernel's dump cost plus one
 * koffi round trip per batch. Every floor in bench/ is this one function.
 */
import { HOST_ORDER } from "../src/netlink/byteorder.js";
import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from "../src/netlink/constants.js";
import type { NetlinkSocket } from "../src/netlink/socket.js";

const LE = HOST_ORDER === "little";

export interface FloorResult {
  datagrams: number;
  bytes: number;
  /** Data messages seen (rules, objects or set elements, counted from headers): a sanity check on N. */
  messages: number;
}

let nextSeq = 0x40000000;

/** floorDump sends the dump `request(seq)` builds and returns what crossed the socket until NLMSG_DONE. */
export async function floorDump(sock: NetlinkSocket, request: (seq: number) => Buffer): Promise<FloorResult> {
  const seq = nextSeq++;
  await sock.send(request(seq));
  const out: FloorResult = { datagrams: 0, bytes: 0, messages: 0 };
  for (;;) {
    for (const d of await sock.recvMany()) {
      if (headersEnd(d, out)) return out;
    }
  }
}

/** headersEnd counts one datagram's messages from their headers; true at NLMSG_DONE. */
function headersEnd(d: Buffer, out: FloorResult): boolean {
  out.datagrams++;
  out.bytes += d.length;
  let off = 0;
  while (off + NLMSG_HDRLEN <= d.length) {
    const len = LE ? d.readUInt32LE(off) : d.readUInt32BE(off);
    const type = LE ? d.readUInt16LE(off + 4) : d.readUInt16BE(off + 4);
    const flags = LE ? d.readUInt16LE(off + 6) : d.readUInt16BE(off + 6);
    if (len < NLMSG_HDRLEN) throw new Error(`floor: bad nlmsghdr length ${len} at offset ${off}`);
    if (flags & NLM_F_DUMP_INTR) throw new Error("floor: dump interrupted (ruleset changed)");
    if (type === NLMSG_DONE) return true;
    if (type === NLMSG_ERROR) {
      const err = LE ? d.readInt32LE(off + NLMSG_HDRLEN) : d.readInt32BE(off + NLMSG_HDRLEN);
      throw new Error(`floor: kernel error ${-err}`);
    }
    out.messages++;
    off += (len + 3) & ~3;
  }
  return false;
}
