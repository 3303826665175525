import { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_EXPR_DATA, NFTA_EXPR_NAME, NFTA_LIST_ELEM } from "../constants.js";
import { type CounterExpr, decodeCounter } from "./counter.js";

/** UnknownExpr stands for an expression nfprom does not decode: kept by name, never dropped silently. */
export interface UnknownExpr {
  kind: "unknown";
  name: string;
}

export type Expr = CounterExpr | UnknownExpr;

/** The single table from NFTA_EXPR_NAME to decoder. Payload data is big-endian (network order). */
const DECODERS: Record<string, (ad: AttributeDecoder) => Expr> = {
  counter: decodeCounter,
};

/** decodeExpressions reads NFTA_RULE_EXPRESSIONS: a list of NFTA_LIST_ELEM, each a name and its data. */
export function decodeExpressions(list: AttributeDecoder): Expr[] {
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
      const decode = DECODERS[name];
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
