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

/**
 * counterWords reads NFTA_COUNTER_BYTES and _PACKETS (u64, big-endian) into words 0–1 and 2–3 (0 when
 * absent), as a BigUint64Array over them holds bytes and packets: no bigint per named counter or element.
 */
export function counterWords(ad: AttributeDecoder, words: Uint32Array): void {
  words.fill(0, 0, 4);
  while (ad.next()) {
    if (ad.type === NFTA_COUNTER_BYTES) ad.u64To(words, 0);
    else if (ad.type === NFTA_COUNTER_PACKETS) ad.u64To(words, 2);
  }
}
