import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_CMP_DATA, NFTA_CMP_OP, NFTA_CMP_SREG } from "../constants.js";
import { decodeDataValue } from "./data.js";

/** enum nft_cmp_ops */
export const CmpOp = { eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 } as const;

/** CmpExpr compares register `sreg` with `data` (as many bytes as data holds); the rule stops when false. */
export interface CmpExpr {
  kind: "cmp";
  sreg: number;
  op: number;
  data: Buffer;
}

/** decodeCmp reads NFTA_CMP_* (u32 big-endian; data is a nested NFTA_DATA_VALUE). */
export function decodeCmp(ad: AttributeDecoder): CmpExpr {
  const expr: CmpExpr = { kind: "cmp", sreg: 0, op: CmpOp.eq, data: Buffer.alloc(0) };
  while (ad.next()) {
    if (ad.type === NFTA_CMP_SREG) expr.sreg = ad.u32();
    else if (ad.type === NFTA_CMP_OP) expr.op = ad.u32();
    else if (ad.type === NFTA_CMP_DATA) expr.data = decodeDataValue(ad);
  }
  return expr;
}
