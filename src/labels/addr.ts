/**
 * Address text as nft(8) prints it: IPv4 dotted quad, IPv6 as glibc's inet_ntop (RFC 5952 compression,
 * lowercase, with the IPv4-compatible and IPv4-mapped forms), so derived labels read like `nft list`.
 */
export function formatAddress(addr: Buffer): string {
  // A template, not addr.join("."): this runs for every element of a 100k-address set.
  return addr.length === 4 ? `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` : formatIPv6(addr);
}

function formatIPv6(addr: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(addr.readUInt16BE(i));
  const best = longestZeroRun(words);
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (best && i >= best.base && i < best.base + best.len) {
      if (i === best.base) parts.push(i === 0 ? ":" : "");
      continue;
    }
    if (i === 6 && best?.base === 0 && embedsIPv4(best.len, words)) {
      parts.push(addr.subarray(12).join("."));
      break;
    }
    parts.push((words[i] as number).toString(16));
  }
  if (best && best.base + best.len === 8) parts.push("");
  return parts.join(":");
}

/** glibc inet_ntop6: `::a.b.c.d` (compatible, not ::1) and `::ffff:a.b.c.d` (mapped). */
function embedsIPv4(len: number, words: number[]): boolean {
  return len === 6 || (len === 7 && words[7] !== 1) || (len === 5 && words[5] === 0xffff);
}

/** longestZeroRun finds the first longest run of at least two zero words. */
function longestZeroRun(words: number[]): { base: number; len: number } | undefined {
  let best: { base: number; len: number } | undefined;
  let base = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (base === -1) base = i;
      continue;
    }
    if (base !== -1 && i - base >= 2 && (!best || i - base > best.len)) best = { base, len: i - base };
    base = -1;
  }
  return best;
}

/** bigToBuffer writes `v` as a big-endian unsigned integer of `width` bytes. */
export function bigToBuffer(v: bigint, width: number): Buffer {
  return Buffer.from(v.toString(16).padStart(width * 2, "0"), "hex");
}

/**
 * formatAddressRange renders the inclusive range [from, to] of `width`-byte addresses as `a/len` when it is
 * exactly one CIDR block, else as `a-b` (the form nft uses for ranges).
 */
export function formatAddressRange(from: bigint, to: bigint, width: number): string {
  const size = to - from + 1n;
  const first = formatAddress(bigToBuffer(from, width));
  if (size > 0n && (size & (size - 1n)) === 0n && from % size === 0n) {
    return `${first}/${width * 8 - (size.toString(2).length - 1)}`;
  }
  return `${first}-${formatAddress(bigToBuffer(to, width))}`;
}
