import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_CT_DIRECTION, NFTA_CT_DREG, NFTA_CT_KEY, NFTA_CT_SREG } from "../constants.js";

/** The enum nft_ct_keys values nfprom interprets (nf_tables.h); others are kept by number. */
export const CtKey = { state: 0 } as const;

/** CtExpr loads conntrack data `key` into `dreg` (`ct state`); with `sreg` it sets it (`ct mark set`). */
export interface CtExpr {
  kind: "ct";
  key: number;
  dreg: number | undefined;
  sreg: number | undefined;
  /** NFTA_CT_DIRECTION (original/reply) when the key is per direction (`ct original saddr`). */
  direction: number | undefined;
}

/** decodeCt reads NFTA_CT_* (u32 big-endian; the direction a u8). */
export function decodeCt(ad: AttributeDecoder): CtExpr {
  const expr: CtExpr = { kind: "ct", key: 0, dreg: undefined, sreg: undefined, direction: undefined };
  while (ad.next()) {
    if (ad.type === NFTA_CT_KEY) expr.key = ad.u32();
    else if (ad.type === NFTA_CT_DREG) expr.dreg = ad.u32();
    else if (ad.type === NFTA_CT_SREG) expr.sreg = ad.u32();
    else if (ad.type === NFTA_CT_DIRECTION) expr.direction = ad.u8();
  }
  return expr;
}
