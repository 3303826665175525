import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import { NFGENMSG_LEN, nftMessageType } from "./constants.js";
import {
  NFT_MSG_NEWSET,
  NFTA_SET_DESC,
  NFTA_SET_DESC_SIZE,
  NFTA_SET_EXPR,
  NFTA_SET_EXPRESSIONS,
  NFTA_SET_FLAGS,
  NFTA_SET_HANDLE,
  NFTA_SET_KEY_LEN,
  NFTA_SET_KEY_TYPE,
  NFTA_SET_NAME,
  NFTA_SET_TABLE,
} from "./constants-sources.js";

/**
 * NftSet is a set or map declaration (NFT_MSG_NEWSET): what a dump of its elements needs (family, table,
 * name) and what rendering their keys needs (key type and length, NFT_SET_* flags).
 */
export interface NftSet {
  family: number;
  table: string;
  name: string;
  handle: bigint;
  flags: number;
  /** nft's datatype id; a concatenation packs one 6-bit id per part (nftables src/datatype.c). */
  keyType: number;
  keyLen: number;
  /** Declared with stateful expressions (`counter;`): its elements carry them. */
  hasExpressions: boolean;
  /** The declared `size` (most elements the set may hold); 0 when none was declared. */
  maxSize: number;
}

const NEWSET = nftMessageType(NFT_MSG_NEWSET);

/** setFromMessage decodes one NFT_MSG_NEWSET message; malformed input throws NFPROM_DECODE. */
export function setFromMessage(msg: NetlinkMessage): NftSet {
  if (msg.type !== NEWSET || msg.payload.length < NFGENMSG_LEN) {
    throw new NfpromError(
      ErrorCodes.DECODE,
      `nftables: expected NFT_MSG_NEWSET, got 0x${msg.type.toString(16)}`,
    );
  }
  const set: NftSet = {
    family: msg.payload.readUInt8(0),
    table: "",
    name: "",
    handle: 0n,
    flags: 0,
    keyType: 0,
    keyLen: 0,
    hasExpressions: false,
    maxSize: 0,
  };
  const ad = new AttributeDecoder(msg.payload.subarray(NFGENMSG_LEN), "big");
  while (ad.next()) {
    if (ad.type === NFTA_SET_TABLE) set.table = ad.string();
    else if (ad.type === NFTA_SET_NAME) set.name = ad.string();
    else if (ad.type === NFTA_SET_HANDLE) set.handle = ad.u64();
    else if (ad.type === NFTA_SET_FLAGS) set.flags = ad.u32();
    else if (ad.type === NFTA_SET_KEY_TYPE) set.keyType = ad.u32();
    else if (ad.type === NFTA_SET_KEY_LEN) set.keyLen = ad.u32();
    else if (ad.type === NFTA_SET_EXPR || ad.type === NFTA_SET_EXPRESSIONS) set.hasExpressions = true;
    else if (ad.type === NFTA_SET_DESC)
      ad.nested((desc) => {
        while (desc.next()) if (desc.type === NFTA_SET_DESC_SIZE) set.maxSize = desc.u32();
      });
  }
  if (ad.err) throw new NfpromError(ErrorCodes.DECODE, `nftables: set ${set.name}: ${ad.err.message}`);
  return set;
}
