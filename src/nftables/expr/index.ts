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

/** decodeExpressions reads NFTA_RULE_EXPRESSIONS: a list of NFTA_LIST_ELEM, each a name and its data. */
export function decodeExpressions(list: AttributeDecoder, selection: ExprSelection = "counters"): Expr[] {
  const exprs: Expr[] = [];
  while (list.next()) {
    if (list.type !== NFTA_LIST_ELEM) continue;
    list.nested((elem) => {
      let name = "";
      let data: Buffer | undefined;
      while (elem.next()) {
        if (elem.type === NFTA_EXPR_NAME) name = elem.string();
        else if (elem.type === NFTA_EXPR_DATA) data = elem.view();
      }
      if (elem.err) return;
      const decode = selection === "all" || name === "counter" ? DECODERS.get(name) : undefined;
      if (!decode || !data) {
        exprs.push({ kind: "unknown", name });
        return;
      }
      const ad = new AttributeDecoder(data, "big");
      exprs.push(decode(ad));
      if (ad.err) elem.err = ad.err;
    });
  }
  return exprs;
}
