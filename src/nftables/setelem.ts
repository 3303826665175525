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

/**
 * setElementsFromMessage decodes one NFT_MSG_NEWSETELEM message; malformed input throws NFPROM_DECODE.
 * One decoder walks the whole message (descend/ascend): a set of 100k elements is read on every scrape,
 * and a child decoder and a closure per nesting level (~5 per element) were most of the reader's garbage.
 */
export function setElementsFromMessage(msg: NetlinkMessage): SetElement[] {
  if (msg.type !== NEWSETELEM || msg.payload.length < NFGENMSG_LEN) {
    throw new NfpromError(ErrorCodes.DECODE, `nftables: unexpected message type 0x${msg.type.toString(16)}`);
  }
  const elements: SetElement[] = [];
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    if (ad.type !== NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    ad.descend();
    listElements(ad, elements);
    ad.ascend();
  }
  if (ad.err) throw new NfpromError(ErrorCodes.DECODE, `nftables: set elements: ${ad.err.message}`);
  return elements;
}

function listElements(list: AttributeDecoder, into: SetElement[]): void {
  while (list.next()) {
    if (list.type !== NFTA_LIST_ELEM) continue;
    list.descend();
    into.push(element(list));
    list.ascend();
  }
}

function element(ad: AttributeDecoder): SetElement {
  const el: SetElement = { key: NO_KEY, keyEnd: undefined, flags: 0 };
  while (ad.next()) {
    if (ad.type === NFTA_SET_ELEM_KEY) el.key = decodeDataValue(ad);
    else if (ad.type === NFTA_SET_ELEM_KEY_END) el.keyEnd = decodeDataValue(ad);
    else if (ad.type === NFTA_SET_ELEM_FLAGS) el.flags = ad.u32();
    else if (ad.type === NFTA_SET_ELEM_USERDATA) el.comment = ad.parsePayload(commentFromUserdata);
    else if (ad.type === NFTA_SET_ELEM_EXPR || ad.type === NFTA_SET_ELEM_EXPRESSIONS) {
      const list = ad.type === NFTA_SET_ELEM_EXPRESSIONS;
      ad.descend();
      if (list) counterInList(el, ad);
      else counterInto(el, ad);
      ad.ascend();
    }
  }
  return el;
}

const NO_KEY = Buffer.alloc(0);
const COUNTER_NAME = Buffer.from("counter\0");

/**
 * counterInto reads one element expression (NFTA_EXPR_NAME, then NFTA_EXPR_DATA) and keeps it when it is a
 * counter. The kernel sends a lone expression as NFTA_SET_ELEM_EXPR and several as NFTA_SET_ELEM_EXPRESSIONS.
 */
function counterInto(el: SetElement, expr: AttributeDecoder): void {
  let counter = false;
  while (expr.next()) {
    if (expr.type === NFTA_EXPR_NAME) counter = expr.payloadEquals(COUNTER_NAME);
    else if (expr.type === NFTA_EXPR_DATA && counter) {
      expr.descend();
      const { bytes, packets } = decodeCounter(expr);
      el.counter = { bytes, packets };
      expr.ascend();
    }
  }
}

function counterInList(el: SetElement, list: AttributeDecoder): void {
  while (list.next()) {
    if (list.type !== NFTA_LIST_ELEM) continue;
    list.descend();
    counterInto(el, list);
    list.ascend();
  }
}
