import { hostU32 } from "../netlink/byteorder.js";
import { NFT_SET_ELEM_CATCHALL } from "../nftables/constants.js";
import { NFT_SET_INTERVAL } from "../nftables/constants-sources.js";
import type { ElementView, SetElement } from "../nftables/setelem.js";
import { bigToBuffer, formatAddress, formatAddressRange } from "./addr.js";
import { toBig } from "./derived.js";
import { intervalsOf } from "./intervals.js";
import { protocolName } from "./render.js";

/** SetKeyShape is what rendering a set's keys needs from its declaration (see nftables/set.ts). */
export interface SetKeyShape {
  keyType: number;
  keyLen: number;
  flags: number;
}

interface PartType {
  len: number;
  format: (b: Buffer) => string;
  /** format for a value at b[at], for the most common keys (elementKeyText). */
  formatAt?: (b: Buffer, at: number) => string;
  /** Addresses print a CIDR block as a/len (formatAddressRange). */
  address?: true;
}

/** The names nft gives ether types (its ethertype table); any other prints as 0x and 4 hex digits. */
const ETHER_TYPES = new Map([
  [0x0800, "ip"],
  [0x0806, "arp"],
  [0x86dd, "ip6"],
  [0x8100, "8021q"],
  [0x88a8, "8021ad"],
]);

/** nft datatype ids (nftables include/datatype.h enum datatypes) whose values nfprom prints like nft. */
const PART_TYPES: Record<number, PartType> = {
  7: {
    len: 4,
    format: formatAddress,
    formatAt: (b, at) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`,
    address: true,
  }, // ipv4_addr
  8: { len: 16, format: formatAddress, address: true }, // ipv6_addr
  9: { len: 6, format: (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":") }, // ether_addr
  10: { len: 2, format: (b) => ETHER_TYPES.get(b.readUInt16BE(0)) ?? hexWord(b.readUInt16BE(0), 4) }, // ether_type
  12: { len: 1, format: (b) => protocolName(b.readUInt8(0)) }, // inet_proto
  13: { len: 2, format: (b) => String(b.readUInt16BE(0)), formatAt: (b, at) => String(b.readUInt16BE(at)) }, // inet_service
  // mark (meta mark, ct mark): the kernel keeps it in host byte order, nft prints 0x and 8 hex digits.
  19: { len: 4, format: (b) => hexWord(hostU32(b, 0), 8) },
  41: { len: 16, format: (b) => b.toString("utf8", 0, b.indexOf(0) === -1 ? b.length : b.indexOf(0)) }, // ifname
};
const TYPE_BITS = 6;

/**
 * keyedElements pairs each element that carries a counter with its key as nft(8) prints it: `10.0.0.1`,
 * `10.0.0.0/8`, `198.51.100.10-198.51.100.20`, `22`, `192.0.2.7 . 53`, `*` for the catch-all. Interval
 * sets (rbtree) store an interval as a start element (with the counter) and an end element flagged
 * INTERVAL_END holding the first key past it; the pipapo backend (concatenated intervals) sends an
 * inclusive keyEnd instead. Keys of a type nfprom does not know are printed as hex (0x...).
 */
export function keyedElements(shape: SetKeyShape, elements: readonly SetElement[]): [string, SetElement][] {
  const counted = (e: SetElement) => e.counter !== undefined;
  const keyText = keyRenderer(shape.keyType);
  if (!(shape.flags & NFT_SET_INTERVAL) || elements.some((e) => e.keyEnd)) {
    return elements.filter(counted).map((e) => [keyText(e.key, e.keyEnd ?? e.key, e.flags), e]);
  }
  const out: [string, SetElement][] = [];
  for (const { start, last } of intervalsOf(elements)) {
    if (!counted(start)) continue;
    const len = start.key.length;
    const to = last === undefined ? Buffer.alloc(len, 0xff) : bigToBuffer(last, len);
    out.push([keyText(start.key, to, start.flags), start]);
  }
  return out;
}

/**
 * elementKeyText returns the function that prints the key of an element view (setelem.ts) of a set that is
 * not an interval set, as keyedElements would, straight from the datagram: no key copy, and for a single
 * IPv4 address or port not even a view of it.
 */
export function elementKeyText(shape: SetKeyShape): (v: ElementView) => string {
  const keyText = keyRenderer(shape.keyType);
  const parts = partTypes(shape.keyType);
  const single = parts?.length === 1 ? (parts[0] as PartType) : undefined;
  return (v) => {
    const p = v.payload;
    const plain = v.keyEndAt < 0 && !(v.flags & NFT_SET_ELEM_CATCHALL) && v.keyLen === single?.len;
    if (plain && single.formatAt) return single.formatAt(p, v.keyAt);
    const from = p.subarray(v.keyAt, v.keyAt + v.keyLen);
    return keyText(from, v.keyEndAt < 0 ? from : p.subarray(v.keyEndAt, v.keyEndAt + v.keyEndLen), v.flags);
  };
}

/**
 * keyRenderer returns the function that prints the keys of one set: the key type is split into its parts
 * (and their widths: concatenated parts are padded to 4 bytes, the kernel's register size) once per set,
 * not once per element.
 */
function keyRenderer(keyType: number): (from: Buffer, to: Buffer, flags: number) => string {
  const parts = partTypes(keyType);
  const widths = parts?.map((p) => (parts.length > 1 ? Math.ceil(p.len / 4) * 4 : p.len)) ?? [];
  const total = widths.reduce((a, b) => a + b, 0);
  const single = parts?.length === 1 ? (parts[0] as PartType) : undefined;
  return (from, to, flags) => {
    if (flags & NFT_SET_ELEM_CATCHALL) return "*";
    if (!parts || total !== from.length || to.length !== from.length) return rangeText(hex, from, to);
    // One part and one key (most sets: addresses or ports): no slicing, no joining.
    if (single && from === to) return single.format(from);
    let off = 0;
    return parts
      .map((p, i) => {
        const [a, b] = [from.subarray(off, off + p.len), to.subarray(off, off + p.len)];
        off += widths[i] as number;
        return p.address && !a.equals(b)
          ? formatAddressRange(toBig(a), toBig(b), p.len)
          : rangeText(p.format, a, b);
      })
      .join(" . ");
  };
}

/** partTypes splits a (possibly concatenated) key type into its parts, or undefined if one is unknown. */
function partTypes(keyType: number): PartType[] | undefined {
  const parts: PartType[] = [];
  for (let t = keyType; t > 0; t >>= TYPE_BITS) {
    const part = PART_TYPES[t & ((1 << TYPE_BITS) - 1)];
    if (!part) return undefined;
    parts.unshift(part);
  }
  return parts.length > 0 ? parts : undefined;
}

function rangeText(format: (b: Buffer) => string, from: Buffer, to: Buffer): string {
  return from.equals(to) ? format(from) : `${format(from)}-${format(to)}`;
}

function hex(b: Buffer): string {
  return `0x${b.toString("hex")}`;
}

function hexWord(value: number, digits: number): string {
  return `0x${value.toString(16).padStart(digits, "0")}`;
}
