import { ErrorCodes, NfpromError } from "../errors.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import {
  NFT_MSG_NEWRULE,
  NFTA_RULE_CHAIN,
  NFTA_RULE_EXPRESSIONS,
  NFTA_RULE_HANDLE,
  NFTA_RULE_TABLE,
  NFTA_RULE_USERDATA,
  NFTNL_UDATA_RULE_COMMENT,
  nftMessageType,
} from "./constants.js";
import { decodeExpressions, type Expr, type ExprSelection } from "./expr/index.js";

/** Rule is one decoded NFT_MSG_NEWRULE message. */
export interface Rule {
  family: number;
  table: string;
  chain: string;
  handle: bigint;
  /** The rule's comment (`comment "..."`), undefined when it has none. */
  comment: string | undefined;
  exprs: Expr[];
}

const NEWRULE = nftMessageType(NFT_MSG_NEWRULE);
const NFGENMSG_LEN = 4;

/**
 * ruleFromMessage decodes one rule message. It is pure: it reads the message and nothing else.
 * A message of another type or with malformed attributes throws NFPROM_DECODE naming the problem.
 * `selection` says which expressions to decode (see ExprSelection); the rest are kept by name only.
 */
export function ruleFromMessage(msg: NetlinkMessage, selection: ExprSelection = "counters"): Rule {
  if (msg.type !== NEWRULE)
    throw decodeError(`expected NFT_MSG_NEWRULE, got message type 0x${msg.type.toString(16)}`);
  if (msg.payload.length < NFGENMSG_LEN) throw decodeError(`rule message of ${msg.payload.length} bytes`);
  const rule: Rule = {
    family: msg.payload.readUInt8(0),
    table: "",
    chain: "",
    handle: 0n,
    comment: undefined,
    exprs: [],
  };
  // nf_tables attribute values are big-endian (network order).
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    switch (ad.type) {
      case NFTA_RULE_TABLE:
        rule.table = tableNames.decode(ad);
        break;
      case NFTA_RULE_CHAIN:
        rule.chain = chainNames.decode(ad);
        break;
      case NFTA_RULE_HANDLE:
        rule.handle = ad.u64();
        break;
      case NFTA_RULE_EXPRESSIONS:
        rule.exprs = decodeExpressions(ad, selection);
        break;
      case NFTA_RULE_USERDATA:
        rule.comment = commentFromUserdata(ad.view());
        break;
    }
  }
  if (ad.err) throw decodeError(`rule ${rule.handle}: ${ad.err.message}`);
  return rule;
}

/**
 * NameMemo decodes a string attribute once while consecutive values repeat: every rule of a dump carries
 * its table and chain name, and decoding them anew for each of 100k rules is measurable.
 */
class NameMemo {
  #bytes: Buffer | undefined;
  #name = "";

  decode(ad: AttributeDecoder): string {
    if (this.#bytes && ad.payloadEquals(this.#bytes)) return this.#name;
    this.#bytes = ad.bytes();
    this.#name = ad.string();
    return this.#name;
  }
}

const tableNames = new NameMemo();
const chainNames = new NameMemo();

/**
 * commentFromUserdata finds the comment in libnftnl's userdata TLVs (u8 type, u8 length, value; the comment
 * value is NUL-terminated). A TLV that runs past the end ends the walk: userdata is opaque to the kernel,
 * so a malformed blob from another tool must cost the comment, not the rule's counters.
 */
export function commentFromUserdata(udata: Buffer): string | undefined {
  let off = 0;
  while (off + 2 <= udata.length) {
    const type = udata.readUInt8(off);
    const len = udata.readUInt8(off + 1);
    const start = off + 2;
    if (start + len > udata.length) return undefined;
    if (type === NFTNL_UDATA_RULE_COMMENT) {
      const nul = udata.indexOf(0, start);
      return udata.toString("utf8", start, nul === -1 || nul > start + len ? start + len : nul);
    }
    off = start + len;
  }
  return undefined;
}

/** counterOf returns the rule's first counter statement, or undefined when it has none. */
export function counterOf(rule: Rule): { bytes: bigint; packets: bigint } | undefined {
  for (const e of rule.exprs) if (e.kind === "counter") return e;
  return undefined;
}

function decodeError(message: string): NfpromError {
  return new NfpromError(ErrorCodes.DECODE, `nftables: ${message}`);
}
