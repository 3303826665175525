import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import { NFGENMSG_LEN, nftMessageType } from "./constants.js";
import {
  NFT_MSG_NEWOBJ,
  NFT_OBJECT_COUNTER,
  NFT_OBJECT_QUOTA,
  NFTA_OBJ_DATA,
  NFTA_OBJ_HANDLE,
  NFTA_OBJ_NAME,
  NFTA_OBJ_TABLE,
  NFTA_OBJ_TYPE,
  NFTA_OBJ_USERDATA,
  NFTA_QUOTA_BYTES,
  NFTA_QUOTA_CONSUMED,
  NFTA_QUOTA_FLAGS,
} from "./constants-sources.js";
import { counterWords, decodeCounter } from "./expr/counter.js";
import { commentFromUserdata, NameMemo } from "./rule.js";

/** QuotaState is a quota object: its limit, what it has used and its NFT_QUOTA_F_* flags. */
export interface QuotaState {
  bytes: bigint;
  consumed: bigint;
  flags: number;
}

/**
 * NftObject is one stateful object (NFT_MSG_NEWOBJ). Only counters and quotas carry a state nfprom
 * decodes; other types (limit, ct helper, ...) keep their type number and nothing else.
 */
export interface NftObject {
  family: number;
  table: string;
  name: string;
  handle: bigint;
  type: number;
  comment: string | undefined;
  counter: { bytes: bigint; packets: bigint } | undefined;
  quota: QuotaState | undefined;
}

const NEWOBJ = nftMessageType(NFT_MSG_NEWOBJ);

/** CounterObject: a named counter's identity; its bytes and packets went into the caller's words. */
export interface CounterObject {
  family: number;
  table: string;
  name: string;
  comment: string | undefined;
}

/**
 * counterObjectFromMessage is the scrape's decoder for named counters (100k of them a read): identity and
 * comment as an object, bytes and packets into `words` (0–1 and 2–3: two BigUint64Array elements,
 * AttributeDecoder.u64To), no bigint, no handle. It returns undefined for any other object type, and for
 * a counter whose data precedes its type (the kernel sends the type first): objectFromMessage decodes those.
 * Malformed input throws NFPROM_DECODE.
 */
export function counterObjectFromMessage(msg: NetlinkMessage, words: Uint32Array): CounterObject | undefined {
  if (msg.type !== NEWOBJ || msg.payload.length < NFGENMSG_LEN) {
    throw decodeError(`expected NFT_MSG_NEWOBJ, got message type 0x${msg.type.toString(16)}`);
  }
  const obj: CounterObject = { family: msg.payload[0] as number, table: "", name: "", comment: undefined };
  let type = 0;
  let counted = false;
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    if (ad.type === NFTA_OBJ_TABLE) obj.table = tableNames.decode(ad);
    else if (ad.type === NFTA_OBJ_NAME) obj.name = ad.string();
    else if (ad.type === NFTA_OBJ_TYPE) type = ad.u32();
    else if (ad.type === NFTA_OBJ_USERDATA) obj.comment = ad.parsePayload(commentFromUserdata);
    else if (ad.type === NFTA_OBJ_DATA && type === NFT_OBJECT_COUNTER) {
      counted = true;
      ad.descend();
      counterWords(ad, words);
      ad.ascend();
    }
  }
  if (ad.err) throw decodeError(`object ${obj.name}: ${ad.err.message}`);
  return counted ? obj : undefined;
}

/** objectFromMessage decodes one NFT_MSG_NEWOBJ message; malformed input throws NFPROM_DECODE. */
export function objectFromMessage(msg: NetlinkMessage): NftObject {
  if (msg.type !== NEWOBJ || msg.payload.length < NFGENMSG_LEN) {
    throw decodeError(`expected NFT_MSG_NEWOBJ, got message type 0x${msg.type.toString(16)}`);
  }
  const obj: NftObject = {
    family: msg.payload.readUInt8(0),
    table: "",
    name: "",
    handle: 0n,
    type: 0,
    comment: undefined,
    counter: undefined,
    quota: undefined,
  };
  let early: Buffer | undefined;
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    if (ad.type === NFTA_OBJ_TABLE) obj.table = tableNames.decode(ad);
    else if (ad.type === NFTA_OBJ_NAME) obj.name = ad.string();
    else if (ad.type === NFTA_OBJ_HANDLE) obj.handle = ad.u64();
    else if (ad.type === NFTA_OBJ_TYPE) obj.type = ad.u32();
    else if (ad.type === NFTA_OBJ_USERDATA) obj.comment = ad.parsePayload(commentFromUserdata);
    else if (ad.type === NFTA_OBJ_DATA && obj.type === 0) early = ad.view();
    else if (ad.type === NFTA_OBJ_DATA) {
      // The kernel sends the type before the data (nf_tables_fill_obj_info): decoded in place.
      ad.descend();
      decodeState(obj, ad);
      ad.ascend();
    }
  }
  // NFTA_OBJ_DATA's layout depends on NFTA_OBJ_TYPE: data that came first is decoded once the type is known.
  if (early && !ad.err) {
    const data = new AttributeDecoder(early, "big");
    decodeState(obj, data);
    ad.err ??= data.err;
  }
  if (ad.err) throw decodeError(`object ${obj.name}: ${ad.err.message}`);
  return obj;
}

/** Table names repeat from object to object: decoded once per run of equal names. */
const tableNames = new NameMemo();

function decodeState(obj: NftObject, ad: AttributeDecoder): void {
  if (obj.type === NFT_OBJECT_COUNTER) {
    const { bytes, packets } = decodeCounter(ad);
    obj.counter = { bytes, packets };
  } else if (obj.type === NFT_OBJECT_QUOTA) obj.quota = decodeQuota(ad);
}

/** decodeQuota reads NFTA_QUOTA_* (u64/u32 big-endian) from a quota object's NFTA_OBJ_DATA. */
function decodeQuota(ad: AttributeDecoder): QuotaState {
  const quota: QuotaState = { bytes: 0n, consumed: 0n, flags: 0 };
  while (ad.next()) {
    if (ad.type === NFTA_QUOTA_BYTES) quota.bytes = ad.u64();
    else if (ad.type === NFTA_QUOTA_CONSUMED) quota.consumed = ad.u64();
    else if (ad.type === NFTA_QUOTA_FLAGS) quota.flags = ad.u32();
  }
  return quota;
}

function decodeError(message: string): NfpromError {
  return new NfpromError(ErrorCodes.DECODE, `nftables: ${message}`);
}
