import { ErrorCodes, NfpromError } from "../errors.js";
import {
  BYTES_WORD,
  COUNTS_IN_OBJECT,
  HANDLE_WORD,
  HAS_COUNTER,
  handleOf,
  PACKETS_WORD,
  type RuleColumnsBuilder,
} from "../model/rule-columns.js";
import type { RuleCounters } from "../model/snapshot.js";
import { AttributeDecoder } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import {
  NFGENMSG_LEN,
  NFT_MSG_NEWRULE,
  NFTA_COUNTER_BYTES,
  NFTA_COUNTER_PACKETS,
  NFTA_EXPR_DATA,
  NFTA_EXPR_NAME,
  NFTA_LIST_ELEM,
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
        rule.comment = ad.parsePayload(commentFromUserdata);
        break;
    }
  }
  if (ad.err) throw decodeError(`rule ${rule.handle}: ${ad.err.message}`);
  return rule;
}

/**
 * addRuleCounters decodes what a scrape keeps of a rule message straight into `into`'s columns: family,
 * handle, the first `counter` statement, whether it counts in a named object (objref), the comment. It is
 * ruleFromMessage + counterOf + countsInNamedObject without an object, an expression list or a bigint per
 * rule (a unit test holds the two paths equal on kernel fixtures): at 100k rules a read, those were most of
 * the reader's decoding time and garbage. Malformed messages throw NFPROM_DECODE like ruleFromMessage.
 * With `layout`, it also records where the rule's fields sit in its message (RuleLayout, rule-reuse.ts).
 */
export function addRuleCounters(msg: NetlinkMessage, into: RuleColumnsBuilder, layout?: Int32Array): void {
  if (msg.type !== NEWRULE)
    throw decodeError(`expected NFT_MSG_NEWRULE, got message type 0x${msg.type.toString(16)}`);
  if (msg.payload.length < NFGENMSG_LEN) throw decodeError(`rule message of ${msg.payload.length} bytes`);
  const i = into.add(msg.payload[0] as number);
  const at = into.wordsOf(i);
  const lo = LAYOUT_FIELDS * i;
  if (layout) layout.set(UNKNOWN_LAYOUT, lo);
  const ad = new AttributeDecoder(msg.payload, "big", NFGENMSG_LEN);
  while (ad.next()) {
    if (ad.type === NFTA_RULE_HANDLE) {
      if (layout && ad.length === 8) layout[lo + LAYOUT_HANDLE] = ad.offset;
      ad.u64To(into.words, at + HANDLE_WORD);
    } else if (ad.type === NFTA_RULE_USERDATA) into.comments[i] = ad.parsePayload(commentFromUserdata);
    else if (ad.type === NFTA_RULE_EXPRESSIONS)
      into.flags[i] = counterExpressions(ad, into.words, at, layout, lo);
  }
  if (ad.err) throw decodeError(`rule ${handleOf(into.numbers, i)}: ${ad.err.message}`);
  if ((into.flags[i] as number) & DATA_BEFORE_NAME) {
    into.replace(i, ruleCounters(ruleFromMessage(msg)));
    return; // its layout stays unknown: the next read decodes it again
  }
  if (layout) layout[lo + LAYOUT_LENGTH] = msg.payload.length;
}

/**
 * RuleLayout, LAYOUT_FIELDS Int32 per rule: its message's payload length and the offsets in it of the
 * handle's and the first counter's bytes and packets values (-1: none). A length of -1 means "unknown":
 * the rule must be decoded anew.
 */
export const LAYOUT_FIELDS = 4;
export const LAYOUT_LENGTH = 0;
export const LAYOUT_HANDLE = 1;
export const LAYOUT_BYTES = 2;
export const LAYOUT_PACKETS = 3;
const UNKNOWN_LAYOUT = [-1, -1, -1, -1];

const COUNTER_NAME = Buffer.from("counter\0");
const OBJREF_NAME = Buffer.from("objref\0");

/**
 * counterExpressions walks NFTA_RULE_EXPRESSIONS (the decoder's current attribute) for the first counter,
 * whose bytes and packets it stores at words[at + BYTES_WORD / PACKETS_WORD] (and their offsets at
 * layout[lo + LAYOUT_BYTES / LAYOUT_PACKETS], when given), and for an objref. It returns the rule's flags
 * (HAS_COUNTER, COUNTS_IN_OBJECT; DATA_BEFORE_NAME to ask for the general decoder).
 */
function counterExpressions(
  ad: AttributeDecoder,
  words: Uint32Array,
  at: number,
  layout: Int32Array | undefined,
  lo: number,
): number {
  let flags = 0;
  ad.descend();
  while (ad.next()) if (ad.type === NFTA_LIST_ELEM) flags = expressionFlags(ad, words, at, flags, layout, lo);
  ad.ascend();
  return flags;
}

/** expressionFlags reads one NFTA_LIST_ELEM (the current attribute) and returns `flags` updated by it. */
function expressionFlags(
  ad: AttributeDecoder,
  words: Uint32Array,
  at: number,
  flags: number,
  layout: Int32Array | undefined,
  lo: number,
): number {
  let name: "counter" | "objref" | "other" | undefined;
  ad.descend();
  while (ad.next()) {
    const type = ad.type;
    if (type === NFTA_EXPR_NAME) {
      name = ad.payloadEquals(COUNTER_NAME) ? "counter" : ad.payloadEquals(OBJREF_NAME) ? "objref" : "other";
    } else if (type === NFTA_EXPR_DATA && name === undefined) {
      flags |= DATA_BEFORE_NAME;
    } else if (type === NFTA_EXPR_DATA && name === "counter" && !(flags & HAS_COUNTER)) {
      flags |= HAS_COUNTER;
      ad.descend();
      while (ad.next()) {
        const field =
          ad.type === NFTA_COUNTER_BYTES ? BYTES_WORD : ad.type === NFTA_COUNTER_PACKETS ? PACKETS_WORD : 0;
        if (field === 0) continue;
        if (layout && ad.length === 8)
          layout[lo + (field === BYTES_WORD ? LAYOUT_BYTES : LAYOUT_PACKETS)] = ad.offset;
        ad.u64To(words, at + field);
      }
      ad.ascend();
    }
  }
  ad.ascend();
  return name === "objref" ? flags | COUNTS_IN_OBJECT : flags;
}

/**
 * The kernel sends an expression's name before its data (nf_tables_fill_expr_info); a message that does
 * not is left to the general decoder (ruleFromMessage), which copes with either order.
 */
const DATA_BEFORE_NAME = 0x80;

/**
 * NameMemo decodes a string attribute once while consecutive values repeat: every rule of a dump carries
 * its table and chain name, and decoding them anew for each of 100k rules is measurable.
 */
export class NameMemo {
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
export function commentFromUserdata(udata: Buffer, begin = 0, end = udata.length): string | undefined {
  let off = begin;
  while (off + 2 <= end) {
    const type = udata[off] as number;
    const len = udata[off + 1] as number;
    const start = off + 2;
    if (start + len > end) return undefined;
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

/**
 * countsInNamedObject tells whether a rule counts through a named counter (`counter name "x"`, or a map
 * of them): the kernel's "objref" expression. Such a rule has no counter of its own; its traffic is
 * exported once, as the named counter, never as a rule series.
 */
export function countsInNamedObject(rule: Rule): boolean {
  return rule.exprs.some((e) => e.kind === "unknown" && e.name === "objref");
}

/** ruleCounters is what a snapshot keeps of a decoded rule (the general path; see addRuleCounters). */
export function ruleCounters(rule: Rule): RuleCounters {
  const counter = counterOf(rule);
  const counters: RuleCounters = {
    family: rule.family,
    handle: rule.handle,
    comment: rule.comment,
    bytes: counter?.bytes,
    packets: counter?.packets,
  };
  // Set only when true: every field of every rule is copied to the web process on each scrape.
  if (countsInNamedObject(rule)) counters.countsInObject = true;
  return counters;
}

function decodeError(message: string): NfpromError {
  return new NfpromError(ErrorCodes.DECODE, `nftables: ${message}`);
}
