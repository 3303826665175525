import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_LOOKUP_DREG, NFTA_LOOKUP_FLAGS, NFTA_LOOKUP_SET, NFTA_LOOKUP_SREG } from "../constants.js";

/** enum nft_lookup_flags: NFT_LOOKUP_F_INV, the `!=` of `ip saddr != { ... }`. */
export const NFT_LOOKUP_F_INV = 1;

/**
 * LookupExpr tests whether register `sreg` is an element of set `set` (`ip saddr { ... }`, `@name`).
 * With `dreg` it is a map lookup (`vmap`, `map`), which selects a value rather than matching.
 */
export interface LookupExpr {
  kind: "lookup";
  set: string;
  sreg: number;
  dreg: number | undefined;
  flags: number;
}

/** decodeLookup reads NFTA_LOOKUP_* (u32 big-endian, the set name a string). */
export function decodeLookup(ad: AttributeDecoder): LookupExpr {
  const expr: LookupExpr = { kind: "lookup", set: "", sreg: 0, dreg: undefined, flags: 0 };
  while (ad.next()) {
    if (ad.type === NFTA_LOOKUP_SET) expr.set = ad.string();
    else if (ad.type === NFTA_LOOKUP_SREG) expr.sreg = ad.u32();
    else if (ad.type === NFTA_LOOKUP_DREG) expr.dreg = ad.u32();
    else if (ad.type === NFTA_LOOKUP_FLAGS) expr.flags = ad.u32();
  }
  return expr;
}
