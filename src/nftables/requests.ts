import { ErrorCodes, NfpromError } from "../errors.js";
import { nlaAlign } from "../netlink/align.js";
import { writeHostU16 } from "../netlink/byteorder.js";
import { NLA_HDRLEN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_HDRLEN } from "../netlink/constants.js";
import { encodeHeader } from "../netlink/message.js";
import {
  FAMILIES,
  NFNETLINK_V0,
  NFNL_MSG_BATCH_BEGIN,
  NFNL_MSG_BATCH_END,
  NFNL_SUBSYS_NFTABLES,
  NFT_MSG_GETCHAIN,
  NFT_MSG_GETGEN,
  NFT_MSG_GETRULE,
  NFT_MSG_GETSETELEM,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_TABLE,
  NFTA_RULE_CHAIN,
  NFTA_RULE_TABLE,
  NFTA_SET_ELEM_LIST_SET,
  NFTA_SET_ELEM_LIST_TABLE,
  nftMessageType,
} from "./constants.js";
import {
  NFT_MSG_GETOBJ,
  NFT_MSG_GETOBJ_RESET,
  NFT_MSG_GETRULE_RESET,
  NFT_MSG_GETSET,
  NFT_MSG_GETSETELEM_RESET,
} from "./constants-sources.js";

/**
 * The only requests nfprom ever sends to the kernel: it reads, it never writes. The one batch it sends,
 * commitBarrierRequest, is empty: it changes nothing (generation.ts says why it is sent).
 */

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

/**
 * getSetElemsRequest dumps the elements of one set (rule-derived labels read the anonymous sets of
 * `ip saddr { ... }` this way). The family must be exact: set names are per table.
 */
export function getSetElemsRequest(seq: number, family: number, table: string, set: string): Buffer {
  return request(nftMessageType(NFT_MSG_GETSETELEM), NLM_F_REQUEST | NLM_F_DUMP, seq, family, [
    [NFTA_SET_ELEM_LIST_TABLE, table],
    [NFTA_SET_ELEM_LIST_SET, set],
  ]);
}

/** The GET types that zero the counters they dump: a write, which nfprom never makes. */
const RESET_TYPES: ReadonlySet<number> = new Set([
  NFT_MSG_GETOBJ_RESET,
  NFT_MSG_GETRULE_RESET,
  NFT_MSG_GETSETELEM_RESET,
]);

/**
 * dumpRequest dumps everything of one kind (`getType`, an NFT_MSG_GET* type) in every table and family:
 * one dump serves all of a source's patterns, which the kernel could not filter by glob anyway. A source
 * in its own folder asks with it (the tables source). It refuses the *_RESET types.
 */
export function dumpRequest(getType: number, seq: number): Buffer {
  if (RESET_TYPES.has(getType)) {
    throw new NfpromError(ErrorCodes.INTERNAL, `nftables: message type ${getType} resets counters`);
  }
  return request(nftMessageType(getType), NLM_F_REQUEST | NLM_F_DUMP, seq, FAMILIES.all, []);
}

/** getObjectsRequest dumps every stateful object (named counters, quotas, ...) of every table and family. */
export function getObjectsRequest(seq: number): Buffer {
  return dumpRequest(NFT_MSG_GETOBJ, seq);
}

/** getSetsRequest dumps the declarations of every set and map of every table and family. */
export function getSetsRequest(seq: number): Buffer {
  return dumpRequest(NFT_MSG_GETSET, seq);
}

/** getChainsRequest dumps every chain of every table and family (to match chain patterns). */
export function getChainsRequest(seq: number): Buffer {
  return dumpRequest(NFT_MSG_GETCHAIN, seq);
}

/** getGenerationRequest asks for the ruleset generation (NFT_MSG_NEWGEN with NFTA_GEN_ID, then an ACK). */
export function getGenerationRequest(seq: number): Buffer {
  return request(nftMessageType(NFT_MSG_GETGEN), NLM_F_REQUEST | NLM_F_ACK, seq, FAMILIES.all, []);
}

/**
 * commitBarrierRequest is an empty nf_tables transaction: BATCH_BEGIN then BATCH_END, nothing between.
 * The kernel takes the ruleset's commit mutex to open it, so the send returns only once no transaction is
 * being prepared or committed; with nothing to commit it bumps no generation and notifies no one. The
 * ACK asked of BATCH_END, when the kernel sends one, carries `seq`.
 */
export function commitBarrierRequest(seq: number): Buffer {
  const begin = request(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, FAMILIES.all, [], NFNL_SUBSYS_NFTABLES);
  const end = request(
    NFNL_MSG_BATCH_END,
    NLM_F_REQUEST | NLM_F_ACK,
    seq,
    FAMILIES.all,
    [],
    NFNL_SUBSYS_NFTABLES,
  );
  return Buffer.concat([begin, end]);
}

/** request encodes nlmsghdr + nfgenmsg + NUL-terminated string attributes. */
function request(
  type: number,
  flags: number,
  seq: number,
  family: number,
  attrs: [number, string][],
  resId = 0,
): Buffer {
  const encoded = attrs.map(([attrType, value]) => [attrType, Buffer.from(`${value}\0`, "utf8")] as const);
  const length = NLMSG_HDRLEN + 4 + encoded.reduce((n, [, v]) => n + nlaAlign(NLA_HDRLEN + v.length), 0);
  const buf = Buffer.alloc(length);
  encodeHeader(buf, length, type, flags, seq);
  // struct nfgenmsg { u8 nfgen_family; u8 version; __be16 res_id; }
  buf.writeUInt8(family, NLMSG_HDRLEN);
  buf.writeUInt8(NFNETLINK_V0, NLMSG_HDRLEN + 1);
  buf.writeUInt16BE(resId, NLMSG_HDRLEN + 2);
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
  writeHostU16(buf, len, 0);
  writeHostU16(buf, type, 2);
}
