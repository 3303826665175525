import { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_EXPR_DATA, NFTA_EXPR_NAME, NFTA_LIST_ELEM } from "../constants.js";
import { type BitwiseExpr, decodeBitwise } from "./bitwise.js";
import { type CmpExpr, decodeCmp } from "./cmp.js";
import { type CounterExpr, decodeCounter } from "./counter.js";
import { type CtExpr, decodeCt } from "./ct.js";
import { decodeLookup, type LookupExpr } from "./lookup.js";
import { decodeMeta, type MetaExpr } from "./meta.js";
import { decodePayload, type PayloadExpr } from "./payload.js";
import { decodeRange, type RangeExpr } from "./range.js";

/** UnknownExpr stands for an expression nfprom does not decode: kept by name, never dropped silently. */
export interface UnknownExpr {
  kind: "unknown";
  name: string;
}

export type Expr =
  | CounterExpr
  | PayloadExpr
  | CmpExpr
  | BitwiseExpr
  | MetaExpr
  | RangeExpr
  | LookupExpr
  | CtExpr
  | UnknownExpr;

/** The single table from NFTA_EXPR_NAME to decoder. Payload data is big-endian (network order). */
const DECODERS = new Map<string, (ad: AttributeDecoder) => Expr>([
  ["counter", decodeCounter],
  ["payload", decodePayload],
  ["cmp", decodeCmp],
  ["bitwise", decodeBitwise],
  ["meta", decodeMeta],
  ["range", decodeRange],
  ["lookup", decodeLookup],
  ["ct", decodeCt],
]);

/**
 * ExprSelection says which expressions to decode; the others stay `{kind: "unknown"}`. "counters" (the
 * default) is all a scrape needs and costs what it always did; "all" is for rule-derived labels, which
 * interpret the match expressions, and is only chosen when a derived label is asked for.
 */
export type ExprSelection = "counters" | "all";

/** Expression names as the kernel sends them (NUL-terminated), recognised without decoding a string. */
const KNOWN_NAMES: [Buffer, string][] = [...DECODERS.keys(), "immediate", "objref"].map((n) => [
  Buffer.from(`${n}\0`),
  n,
]);

function expressionName(elem: AttributeDecoder): string {
  for (const [bytes, name] of KNOWN_NAMES) if (elem.payloadEquals(bytes)) return name;
  return elem.string();
}

/**
 * One frozen UnknownExpr per name: a scrape decodes only counters, so most of a rule's expressions are
 * "unknown" to it, and allocating an object for each of them (9 per rule, 100k rules) is measurable.
 */
const UNKNOWN = new Map<string, UnknownExpr>();

function unknown(name: string): UnknownExpr {
  let expr = UNKNOWN.get(name);
  if (!expr) {
    expr = Object.freeze({ kind: "unknown", name });
    if (UNKNOWN.size < 256) UNKNOWN.set(name, expr); // names come from the kernel's expression types
  }
  return expr;
}

/**
 * decodeExpressions reads NFTA_RULE_EXPRESSIONS (the decoder's current attribute): a list of
 * NFTA_LIST_ELEM, each a name and its data. It walks the list with descend/ascend on the caller's decoder.
 */
export function decodeExpressions(ad: AttributeDecoder, selection: ExprSelection = "counters"): Expr[] {
  const exprs: Expr[] = [];
  ad.descend();
  while (ad.next()) if (ad.type === NFTA_LIST_ELEM) exprs.push(decodeElement(ad, selection));
  ad.ascend();
  return exprs;
}

/** decodeElement reads one NFTA_LIST_ELEM, the decoder's current attribute. */
function decodeElement(ad: AttributeDecoder, selection: ExprSelection): Expr {
  let name = "";
  let decoded: Expr | undefined;
  let early: Buffer | undefined;
  ad.descend();
  while (ad.next()) {
    if (ad.type === NFTA_EXPR_NAME) {
      name = expressionName(ad);
    } else if (ad.type === NFTA_EXPR_DATA) {
      // The kernel sends the name first (nf_tables_fill_expr_info); keep the data if it did not.
      if (name === "") early = ad.view();
      else decoded = decodeData(name, selection, ad);
    }
  }
  ad.ascend();
  if (!decoded && early && !ad.err) {
    const data = new AttributeDecoder(early, "big");
    decoded = decodeData(name, selection, data, false);
    if (data.err) ad.err = data.err;
  }
  return decoded ?? unknown(name);
}

/**
 * decodeData runs the selected decoder, if any, over an expression's NFTA_EXPR_DATA: the decoder's
 * current attribute, or (within = false) the decoder's whole range.
 */
function decodeData(
  name: string,
  selection: ExprSelection,
  ad: AttributeDecoder,
  within = true,
): Expr | undefined {
  const decode = selection === "all" || name === "counter" ? DECODERS.get(name) : undefined;
  if (!decode) return undefined;
  if (!within) return decode(ad);
  ad.descend();
  const expr = decode(ad);
  ad.ascend();
  return expr;
}
