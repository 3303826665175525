/** NFPROTO_* families (include/uapi/linux/netfilter.h); "all" is NFPROTO_UNSPEC, which dumps every family. */
export const FAMILIES = {
  all: 0,
  inet: 1,
  ip: 2,
  arp: 3,
  netdev: 5,
  bridge: 7,
  ip6: 10,
} as const;

export type FamilyName = keyof typeof FAMILIES;

/** familyName maps an NFPROTO_* number back to the name nft(8) uses. */
export function familyName(family: number): string {
  return FAMILY_NAMES.get(family) ?? `family${family}`;
}

/** Called once per object or set element on the hot path: a lookup, not a scan of FAMILIES. */
const FAMILY_NAMES = new Map<number, string>(Object.entries(FAMILIES).map(([name, value]) => [value, name]));
