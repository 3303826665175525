import type { AttributeDecoder } from "../../netlink/attributes.js";
import {
  NFTA_BITWISE_DREG,
  NFTA_BITWISE_LEN,
  NFTA_BITWISE_MASK,
  NFTA_BITWISE_OP,
  NFTA_BITWISE_SREG,
  NFTA_BITWISE_XOR,
} from "../constants.js";
import { decodeDataValue } from "./data.js";

/** enum nft_bitwise_ops; mask-xor is the default when NFTA_BITWISE_OP is absent (older kernels). */
export const BitwiseOp = { maskXor: 0, lshift: 1, rshift: 2 } as const;

/**
 * BitwiseExpr computes `dreg = (sreg & mask) ^ xor` over `len` bytes (or a shift). nft emits it for
 * prefixes that do not end on a byte (`ip saddr 10.0.0.0/12`) and for flag tests (`ct state ...`).
 */
export interface BitwiseExpr {
  kind: "bitwise";
  sreg: number;
  dreg: number;
  len: number;
  op: number;
  mask: Buffer;
  xor: Buffer;
}

/** decodeBitwise reads NFTA_BITWISE_* (u32 big-endian; mask and xor are nested NFTA_DATA_VALUE). */
export function decodeBitwise(ad: AttributeDecoder): BitwiseExpr {
  const empty = Buffer.alloc(0);
  const expr: BitwiseExpr = { kind: "bitwise", sreg: 0, dreg: 0, len: 0, op: 0, mask: empty, xor: empty };
  while (ad.next()) {
    switch (ad.type) {
      case NFTA_BITWISE_SREG:
        expr.sreg = ad.u32();
        break;
      case NFTA_BITWISE_DREG:
        expr.dreg = ad.u32();
        break;
      case NFTA_BITWISE_LEN:
        expr.len = ad.u32();
        break;
      case NFTA_BITWISE_OP:
        expr.op = ad.u32();
        break;
      case NFTA_BITWISE_MASK:
        expr.mask = decodeDataValue(ad);
        break;
      case NFTA_BITWISE_XOR:
        expr.xor = decodeDataValue(ad);
        break;
    }
  }
  return expr;
}
