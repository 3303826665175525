import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import {
  NFT_MSG_NEWSETELEM,
  NFTA_EXPR_DATA,
  NFTA_EXPR_NAME,
  NFTA_LIST_ELEM,
  NFTA_SET_ELEM_FLAGS,
  NFTA_SET_ELEM_KEY,
  NFTA_SET_ELEM_KEY_END,
  NFTA_SET_ELEM_LIST_ELEMENTS,
  nftMessageType,
} from "./constants.js";
import {
  NFTA_SET_ELEM_EXPR,
  NFTA_SET_ELEM_EXPRESSIONS,
  NFTA_SET_ELEM_USERDATA,
} from "./constants-sources.js";
import { decodeCounter } from "./expr/counter.js";
import { decodeDataValue } from "./expr/data.js";
import { commentFromUserdata } from "./rule.js";

/**
 * SetElement is one element of a set as the kernel dumps it. Interval sets (`{ 10.0.0.0/8, 1000-2000 }`)
 * are stored as boundaries: an element opens an interval, an element flagged NFT_SET_ELEM_INTERVAL_END
 * closes the previous one (exclusive); the pipapo backend sends `keyEnd` (inclusive) instead.
 */
export interface SetElement {
  key: Buffer;
  keyEnd: Buffer | undefined;
  flags: number;
  /** The element's counter, in sets declared with `counter`; undefined otherwise. */
  counter?: { bytes: bigint; packets: bigint };
  /** The element's comment (`elements = { 10.0.0.1 comment "..." }`). */
  comment?: string;
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
    else if (ad.type === NFTA_SET_ELEM_USERDATA) el.comment = commentFromUserdata(ad.view());
    else if (ad.type === NFTA_SET_ELEM_EXPR) ad.nested((e) => counterInto(el, e));
    else if (ad.type === NFTA_SET_ELEM_EXPRESSIONS) ad.nested((list) => counterInList(el, list));
  }
  return el;
}

/**
 * counterInto reads one element expression (NFTA_EXPR_NAME, then NFTA_EXPR_DATA) and keeps it when it is a
 * counter. The kernel sends a lone expression as NFTA_SET_ELEM_EXPR and several as NFTA_SET_ELEM_EXPRESSIONS.
 */
function counterInto(el: SetElement, expr: AttributeDecoder): void {
  let name = "";
  while (expr.next()) {
    if (expr.type === NFTA_EXPR_NAME) name = expr.string();
    else if (expr.type === NFTA_EXPR_DATA && name === "counter") {
      expr.nested((data) => {
        const { bytes, packets } = decodeCounter(data);
        el.counter = { bytes, packets };
      });
    }
  }
}

function counterInList(el: SetElement, list: AttributeDecoder): void {
  while (list.next()) if (list.type === NFTA_LIST_ELEM) list.nested((expr) => counterInto(el, expr));
}
