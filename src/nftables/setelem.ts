import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import {
  NFT_MSG_NEWSETELEM,
  NFTA_LIST_ELEM,
  NFTA_SET_ELEM_FLAGS,
  NFTA_SET_ELEM_KEY,
  NFTA_SET_ELEM_KEY_END,
  NFTA_SET_ELEM_LIST_ELEMENTS,
  nftMessageType,
} from "./constants.js";
import { decodeDataValue } from "./expr/data.js";

/**
 * SetElement is one element of a set as the kernel dumps it. Interval sets (`{ 10.0.0.0/8, 1000-2000 }`)
 * are stored as boundaries: an element opens an interval, an element flagged NFT_SET_ELEM_INTERVAL_END
 * closes the previous one (exclusive); the pipapo backend sends `keyEnd` (inclusive) instead.
 */
export interface SetElement {
  key: Buffer;
  keyEnd: Buffer | undefined;
  flags: number;
}

const NEWSETELEM = nftMessageType(NFT_MSG_NEWSETELEM);
const NFGENMSG_LEN = 4;

/** setElementsFromMessage decodes one NFT_MSG_NEWSETELEM message; malformed input throws NFPROM_DECODE. */
export function setElementsFromMessage(msg: NetlinkMessage): SetElement[] {
  if (msg.type !== NEWSETELEM || msg.payload.length < NFGENMSG_LEN) {
    throw new NfpromError(ErrorCodes.DECODE, `nftables: unexpected message type 0x${msg.type.toString(16)}`);
  }
  const elements: SetElement[] = [];
  const ad = new AttributeDecoder(msg.payload.subarray(NFGENMSG_LEN), "big");
  while (ad.next()) {
    if (ad.type !== NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    ad.nested((list) => {
      while (list.next()) if (list.type === NFTA_LIST_ELEM) list.nested((e) => elements.push(element(e)));
    });
  }
  if (ad.err) throw new NfpromError(ErrorCodes.DECODE, `nftables: set elements: ${ad.err.message}`);
  return elements;
}

function element(ad: AttributeDecoder): SetElement {
  const el: SetElement = { key: Buffer.alloc(0), keyEnd: undefined, flags: 0 };
  while (ad.next()) {
    if (ad.type === NFTA_SET_ELEM_KEY) el.key = decodeDataValue(ad);
    else if (ad.type === NFTA_SET_ELEM_KEY_END) el.keyEnd = decodeDataValue(ad);
    else if (ad.type === NFTA_SET_ELEM_FLAGS) el.flags = ad.u32();
  }
  return el;
}

