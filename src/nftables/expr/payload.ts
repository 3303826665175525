import type { AttributeDecoder } from "../../netlink/attributes.js";
import {
  NFTA_PAYLOAD_BASE,
  NFTA_PAYLOAD_DREG,
  NFTA_PAYLOAD_LEN,
  NFTA_PAYLOAD_OFFSET,
  NFTA_PAYLOAD_SREG,
} from "../constants.js";

/** enum nft_payload_bases */
export const PayloadBase = { link: 0, network: 1, transport: 2, inner: 3 } as const;

/**
 * PayloadExpr loads `len` bytes at `offset` of a packet header into register `dreg` (`ip saddr`,
 * `tcp dport`, ...). A payload *write* (the `payload set` statement) has `sreg` instead and no `dreg`.
 */
export interface PayloadExpr {
  kind: "payload";
  dreg: number | undefined;
  sreg: number | undefined;
  base: number;
  offset: number;
  len: number;
}

/** decodePayload reads NFTA_PAYLOAD_* (u32, big-endian). */
export function decodePayload(ad: AttributeDecoder): PayloadExpr {
  const expr: PayloadExpr = { kind: "payload", dreg: undefined, sreg: undefined, base: 0, offset: 0, len: 0 };
  while (ad.next()) {
    switch (ad.type) {
      case NFTA_PAYLOAD_DREG:
        expr.dreg = ad.u32();
        break;
      case NFTA_PAYLOAD_SREG:
        expr.sreg = ad.u32();
        break;
      case NFTA_PAYLOAD_BASE:
        expr.base = ad.u32();
        break;
      case NFTA_PAYLOAD_OFFSET:
        expr.offset = ad.u32();
        break;
      case NFTA_PAYLOAD_LEN:
        expr.len = ad.u32();
        break;
    }
  }
  return expr;
}
