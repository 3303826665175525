import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import {
  NFGENMSG_LEN,
  NFT_MSG_NEWSETELEM,
  NFTA_DATA_VALUE,
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
import { counterWords } from "./expr/counter.js";
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
const NONE = -1;

/**
 * ElementView is one element of a message as visitSetElements reads it: where its key (and key end) lie
 * in the message, its flags, comment and counter (as the four 32-bit words of a BigUint64Array's two
 * elements: bytes, packets). One view is reused for every element, and `payload` is the datagram
 * buffer: both are only valid during the visit.
 */
export interface ElementView {
  payload: Buffer;
  keyAt: number;
  keyLen: number;
  /** NONE (-1) when the element has no NFTA_SET_ELEM_KEY_END. */
  keyEndAt: number;
  keyEndLen: number;
  flags: number;
  comment: string | undefined;
  counted: boolean;
  counter: Uint32Array;
}

/**
 * visitSetElements decodes one NFT_MSG_NEWSETELEM message element by element into one reused view,
 * without an object, a key copy or a bigint per element: a set of 100k elements is read on every scrape.
 * One decoder walks the whole message (descend/ascend). Malformed input throws NFPROM_DECODE.
 */
export function visitSetElements(msg: NetlinkMessage, visit: (e: ElementView) => void): void {
  if (msg.type !== NEWSETELEM || msg.payload.length < NFGENMSG_LEN) {
    throw new NfpromError(ErrorCodes.DECODE, `nftables: unexpected message type 0x${msg.type.toString(16)}`);
  }
  const view: ElementView = {
    payload: msg.payload,
    keyAt: NONE,
    keyLen: 0,
    keyEndAt: NONE,
    keyEndLen: 0,
    flags: 0,
    comment: undefined,
    counted: false,
    counter: new Uint32Array(4),
  };
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    if (ad.type !== NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    ad.descend();
    listElements(ad, view, visit);
    ad.ascend();
  }
  if (ad.err) throw new NfpromError(ErrorCodes.DECODE, `nftables: set elements: ${ad.err.message}`);
}

/**
 * setElementsFromMessage decodes one NFT_MSG_NEWSETELEM message into elements that own their bytes (for
 * what keeps elements past the datagram: interval boundaries, rule-derived labels, tests).
 */
export function setElementsFromMessage(msg: NetlinkMessage): SetElement[] {
  const elements: SetElement[] = [];
  visitSetElements(msg, (v) => elements.push(elementOf(v)));
  return elements;
}

/** elementOf copies what a view shows into an element of its own. */
export function elementOf(v: ElementView): SetElement {
  const el: SetElement = {
    key: copyOf(v.payload, v.keyAt, v.keyLen),
    keyEnd: v.keyEndAt === NONE ? undefined : copyOf(v.payload, v.keyEndAt, v.keyEndLen),
    flags: v.flags,
  };
  if (v.counted) {
    const [bytes, packets] = new BigUint64Array(v.counter.slice().buffer);
    el.counter = { bytes: bytes as bigint, packets: packets as bigint };
  }
  if (v.comment !== undefined) el.comment = v.comment;
  return el;
}

function copyOf(payload: Buffer, at: number, len: number): Buffer {
  return at === NONE ? Buffer.alloc(0) : Buffer.from(payload.subarray(at, at + len));
}

function listElements(ad: AttributeDecoder, view: ElementView, visit: (e: ElementView) => void): void {
  while (ad.next()) {
    if (ad.type !== NFTA_LIST_ELEM) continue;
    ad.descend();
    readElement(ad, view);
    ad.ascend();
    if (ad.err) return;
    visit(view);
  }
}

function readElement(ad: AttributeDecoder, v: ElementView): void {
  v.keyAt = NONE;
  v.keyLen = 0;
  v.keyEndAt = NONE;
  v.keyEndLen = 0;
  v.flags = 0;
  v.comment = undefined;
  v.counted = false;
  while (ad.next()) {
    const type = ad.type;
    if (type === NFTA_SET_ELEM_KEY || type === NFTA_SET_ELEM_KEY_END) {
      const end = type === NFTA_SET_ELEM_KEY_END;
      ad.descend();
      while (ad.next()) {
        if (ad.type !== NFTA_DATA_VALUE) continue;
        if (end) [v.keyEndAt, v.keyEndLen] = [ad.offset, ad.length];
        else [v.keyAt, v.keyLen] = [ad.offset, ad.length];
      }
      ad.ascend();
    } else if (type === NFTA_SET_ELEM_FLAGS) v.flags = ad.u32();
    else if (type === NFTA_SET_ELEM_USERDATA) v.comment = ad.parsePayload(commentFromUserdata);
    else if (type === NFTA_SET_ELEM_EXPR || type === NFTA_SET_ELEM_EXPRESSIONS) {
      ad.descend();
      if (type === NFTA_SET_ELEM_EXPRESSIONS) counterInList(v, ad);
      else counterInto(v, ad);
      ad.ascend();
    }
  }
}

const COUNTER_NAME = Buffer.from("counter\0");

/**
 * counterInto reads one element expression (NFTA_EXPR_NAME, then NFTA_EXPR_DATA) and keeps the first
 * counter. The kernel sends a lone expression as NFTA_SET_ELEM_EXPR and several as NFTA_SET_ELEM_EXPRESSIONS.
 */
function counterInto(v: ElementView, expr: AttributeDecoder): void {
  let counter = false;
  while (expr.next()) {
    if (expr.type === NFTA_EXPR_NAME) counter = expr.payloadEquals(COUNTER_NAME);
    else if (expr.type === NFTA_EXPR_DATA && counter && !v.counted) {
      v.counted = true;
      expr.descend();
      counterWords(expr, v.counter);
      expr.ascend();
    }
  }
}

function counterInList(v: ElementView, list: AttributeDecoder): void {
  while (list.next()) {
    if (list.type !== NFTA_LIST_ELEM) continue;
    list.descend();
    counterInto(v, list);
    list.ascend();
  }
}
