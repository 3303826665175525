import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_META_DREG, NFTA_META_KEY, NFTA_META_SREG } from "../constants.js";

/** The enum nft_meta_keys values nfprom interprets (nf_tables.h); others are kept by number. */
export const MetaKey = { protocol: 1, iifname: 6, oifname: 7, nfproto: 15, l4proto: 16 } as const;

/** MetaExpr loads packet metadata `key` into `dreg` (`meta l4proto`, `iifname`); with `sreg` it sets it. */
export interface MetaExpr {
  kind: "meta";
  key: number;
  dreg: number | undefined;
  sreg: number | undefined;
}

/** decodeMeta reads NFTA_META_* (u32 big-endian). */
export function decodeMeta(ad: AttributeDecoder): MetaExpr {
  const expr: MetaExpr = { kind: "meta", key: 0, dreg: undefined, sreg: undefined };
  while (ad.next()) {
    if (ad.type === NFTA_META_KEY) expr.key = ad.u32();
    else if (ad.type === NFTA_META_DREG) expr.dreg = ad.u32();
    else if (ad.type === NFTA_META_SREG) expr.sreg = ad.u32();
  }
  return expr;
}
