import { endianness } from "node:os";

/**
 * The codebase's one byte-order rule: nf_tables values in message payloads are big-endian (read with the
 * BE methods of Buffer); netlink headers (nlmsghdr, nlattr) and libc structures are in host order, read
 * and written only through the accessors below, the one place that asks which order the host has.
 * AttributeDecoder reads either order it is given: big, or HOST_ORDER for headers and extended ACKs.
 */
export const HOST_ORDER: "big" | "little" = endianness() === "BE" ? "big" : "little";
const LITTLE = HOST_ORDER === "little";

/**
 * hostU16 reads a host-order u16 by plain indexing, which is cheaper than readUInt16* (no argument checks);
 * it runs for every attribute header, and callers have checked the bounds.
 */
export function hostU16(b: Buffer, off: number): number {
  const first = b[off] as number;
  const second = b[off + 1] as number;
  return LITTLE ? first | (second << 8) : (first << 8) | second;
}

/** hostU32, hostI32: host-order reads, bounds checked like Buffer's own. */
export function hostU32(b: Buffer, off: number): number {
  return LITTLE ? b.readUInt32LE(off) : b.readUInt32BE(off);
}
export function hostI32(b: Buffer, off: number): number {
  return LITTLE ? b.readInt32LE(off) : b.readInt32BE(off);
}

/** writeHostU16, writeHostU32, writeHostI32, writeHostU64, writeHostI64: host-order writes. */
export function writeHostU16(b: Buffer, value: number, off: number): void {
  if (LITTLE) b.writeUInt16LE(value, off);
  else b.writeUInt16BE(value, off);
}
export function writeHostU32(b: Buffer, value: number, off: number): void {
  if (LITTLE) b.writeUInt32LE(value, off);
  else b.writeUInt32BE(value, off);
}
export function writeHostI32(b: Buffer, value: number, off: number): void {
  if (LITTLE) b.writeInt32LE(value, off);
  else b.writeInt32BE(value, off);
}
export function writeHostU64(b: Buffer, value: bigint, off: number): void {
  if (LITTLE) b.writeBigUInt64LE(value, off);
  else b.writeBigUInt64BE(value, off);
}
export function writeHostI64(b: Buffer, value: bigint, off: number): void {
  if (LITTLE) b.writeBigInt64LE(value, off);
  else b.writeBigInt64BE(value, off);
}

/** storeU64Words puts a u64's two halves where a BigUint64Array over `words` has element at/2. */
export function storeU64Words(high: number, low: number, words: Uint32Array, at: number): void {
  words[at + (LITTLE ? 0 : 1)] = low;
  words[at + (LITTLE ? 1 : 0)] = high;
}
