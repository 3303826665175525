import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_RANGE_FROM_DATA, NFTA_RANGE_OP, NFTA_RANGE_SREG, NFTA_RANGE_TO_DATA } from "../constants.js";
import { decodeDataValue } from "./data.js";

/** enum nft_range_ops */
export const RangeOp = { eq: 0, neq: 1 } as const;

/** RangeExpr tests `from <= sreg <= to` (big-endian byte strings, inclusive): `tcp dport 1000-2000`. */
export interface RangeExpr {
  kind: "range";
  sreg: number;
  op: number;
  from: Buffer;
  to: Buffer;
}

/** decodeRange reads NFTA_RANGE_* (u32 big-endian; bounds are nested NFTA_DATA_VALUE). */
export function decodeRange(ad: AttributeDecoder): RangeExpr {
  const empty = Buffer.alloc(0);
  const expr: RangeExpr = { kind: "range", sreg: 0, op: RangeOp.eq, from: empty, to: empty };
  while (ad.next()) {
    if (ad.type === NFTA_RANGE_SREG) expr.sreg = ad.u32();
    else if (ad.type === NFTA_RANGE_OP) expr.op = ad.u32();
    else if (ad.type === NFTA_RANGE_FROM_DATA) expr.from = decodeDataValue(ad);
    else if (ad.type === NFTA_RANGE_TO_DATA) expr.to = decodeDataValue(ad);
  }
  return expr;
}
