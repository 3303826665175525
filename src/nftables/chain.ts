import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import type { ChainRef } from "./chain-dump.js";
import {
  NFGENMSG_LEN,
  NFT_MSG_NEWCHAIN,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_TABLE,
  nftMessageType,
} from "./constants.js";

const NEWCHAIN = nftMessageType(NFT_MSG_NEWCHAIN);

/** chainFromMessage decodes the identity of one chain (NFT_MSG_NEWCHAIN) from a chain dump. */
export function chainFromMessage(msg: NetlinkMessage): ChainRef {
  if (msg.type !== NEWCHAIN || msg.payload.length < NFGENMSG_LEN) {
    throw new NfpromError(
      ErrorCodes.DECODE,
      `nftables: expected NFT_MSG_NEWCHAIN, got 0x${msg.type.toString(16)}`,
    );
  }
  const ref: ChainRef = { family: msg.payload.readUInt8(0), table: "", chain: "" };
  const ad = new AttributeDecoder(msg.payload.subarray(NFGENMSG_LEN), "big");
  while (ad.next()) {
    if (ad.type === NFTA_CHAIN_TABLE) ref.table = ad.string();
    else if (ad.type === NFTA_CHAIN_NAME) ref.chain = ad.string();
  }
  if (ad.err) throw new NfpromError(ErrorCodes.DECODE, `nftables: chain: ${ad.err.message}`);
  return ref;
}
