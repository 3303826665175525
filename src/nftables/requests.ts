import { nlaAlign } from "../netlink/align.js";
import { HOST_ORDER } from "../netlink/byteorder.js";
import { NLA_HDRLEN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_HDRLEN } from "../netlink/constants.js";
import { encodeHeader } from "../netlink/message.js";
import {
  NFNETLINK_V0,
  NFT_MSG_GETCHAIN,
  NFT_MSG_GETRULE,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_TABLE,
  NFTA_RULE_CHAIN,
  NFTA_RULE_TABLE,
  nftMessageType,
} from "./constants.js";

/** The only two requests nfprom ever sends to the kernel: it reads, it never writes. */

/** getRulesRequest dumps the rules of one chain (family 0 = every family). */
export function getRulesRequest(seq: number, family: number, table: string, chain: string): Buffer {
  return request(nftMessageType(NFT_MSG_GETRULE), NLM_F_REQUEST | NLM_F_DUMP, seq, family, [
    [NFTA_RULE_TABLE, table],
    [NFTA_RULE_CHAIN, chain],
  ]);
}

/** getChainRequest looks one chain up; the kernel answers ENOENT when the table or chain is missing. */
export function getChainRequest(seq: number, family: number, table: string, chain: string): Buffer {
  return request(nftMessageType(NFT_MSG_GETCHAIN), NLM_F_REQUEST | NLM_F_ACK, seq, family, [
    [NFTA_CHAIN_TABLE, table],
    [NFTA_CHAIN_NAME, chain],
  ]);
}

/** request encodes nlmsghdr + nfgenmsg + NUL-terminated string attributes. */
function request(
  type: number,
  flags: number,
  seq: number,
  family: number,
  attrs: [number, string][],
): Buffer {
  const encoded = attrs.map(([attrType, value]) => [attrType, Buffer.from(`${value}\0`, "utf8")] as const);
  const length = NLMSG_HDRLEN + 4 + encoded.reduce((n, [, v]) => n + nlaAlign(NLA_HDRLEN + v.length), 0);
  const buf = Buffer.alloc(length);
  encodeHeader(buf, length, type, flags, seq);
  // struct nfgenmsg { u8 nfgen_family; u8 version; __be16 res_id; }
  buf.writeUInt8(family, NLMSG_HDRLEN);
  buf.writeUInt8(NFNETLINK_V0, NLMSG_HDRLEN + 1);
  buf.writeUInt16BE(0, NLMSG_HDRLEN + 2);
  let off = NLMSG_HDRLEN + 4;
  for (const [attrType, value] of encoded) {
    // struct nlattr is host order, like the netlink header.
    const hdr = Buffer.alloc(4);
    encodeAttrHeader(hdr, NLA_HDRLEN + value.length, attrType);
    hdr.copy(buf, off);
    value.copy(buf, off + NLA_HDRLEN);
    off += nlaAlign(NLA_HDRLEN + value.length);
  }
  return buf;
}

function encodeAttrHeader(buf: Buffer, len: number, type: number): void {
  if (HOST_ORDER === "little") {
    buf.writeUInt16LE(len, 0);
    buf.writeUInt16LE(type, 2);
  } else {
    buf.writeUInt16BE(len, 0);
    buf.writeUInt16BE(type, 2);
  }
}
