import { NFT_SET_ELEM_INTERVAL_END } from "../nftables/constants.js";
import type { SetElement } from "../nftables/setelem.js";
import { toBig } from "./derived.js";

/** Interval: a start boundary of an interval set and the last key its range holds (undefined: the maximum). */
export interface Interval {
  start: SetElement;
  last: bigint | undefined;
}

/**
 * intervalsOf pairs the boundaries of an interval set (rbtree), as the kernel's lookup reads them: in key
 * order, a range opened by a start runs up to the next boundary's key (exclusive), an INTERVAL_END or the
 * next start; at equal keys the end of one range precedes the start of the next (adjacent ranges, as
 * test/fixtures/kernel/setelem-adjacent.json shows the kernel stores them); the last range left open runs to
 * the maximum key. Keys must be of one length.
 */
export function intervalsOf(boundaries: readonly SetElement[]): Interval[] {
  const sorted = [...boundaries].sort(byKeyEndsFirst);
  const out: Interval[] = [];
  let open: SetElement | undefined;
  let openKey = 0n;
  for (const e of sorted) {
    const key = toBig(e.key);
    if (open && key > openKey) out.push({ start: open, last: key - 1n });
    open = isEnd(e) ? undefined : e;
    openKey = key;
  }
  if (open) out.push({ start: open, last: undefined });
  return out;
}

function isEnd(e: SetElement): boolean {
  return (e.flags & NFT_SET_ELEM_INTERVAL_END) !== 0;
}

/** byKeyEndsFirst orders boundaries by key; at equal keys the end of one interval precedes the next start. */
function byKeyEndsFirst(a: SetElement, b: SetElement): number {
  const c = Buffer.compare(a.key, b.key);
  return c !== 0 ? c : (b.flags & NFT_SET_ELEM_INTERVAL_END) - (a.flags & NFT_SET_ELEM_INTERVAL_END);
}
