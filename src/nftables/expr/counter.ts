import type { AttributeDecoder } from "../../netlink/attributes.js";
import { NFTA_COUNTER_BYTES, NFTA_COUNTER_PACKETS } from "../constants.js";

/** CounterExpr is the `counter` statement of a rule: packets and bytes seen since it was created or reset. */
export interface CounterExpr {
  kind: "counter";
  bytes: bigint;
  packets: bigint;
}

/** decodeCounter reads NFTA_COUNTER_* (u64, big-endian) from the expression's NFTA_EXPR_DATA. */
export function decodeCounter(ad: AttributeDecoder): CounterExpr {
  const expr: CounterExpr = { kind: "counter", bytes: 0n, packets: 0n };
  while (ad.next()) {
    if (ad.type === NFTA_COUNTER_BYTES) expr.bytes = ad.u64();
    else if (ad.type === NFTA_COUNTER_PACKETS) expr.packets = ad.u64();
  }
  return expr;
}
