/**
 * nf_tables netlink constants, in kernel order, from include/uapi/linux/netfilter/nf_tables.h and
 * nfnetlink.h (Linux 6.18; https://github.com/torvalds/linux/blob/v6.18/include/uapi/linux/netfilter/nf_tables.h).
 * Only the subset nfprom reads.
 */
export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNETLINK_V0 = 0;

/** enum nf_tables_msg_types */
export const NFT_MSG_NEWCHAIN = 3;
export const NFT_MSG_GETCHAIN = 4;
export const NFT_MSG_NEWRULE = 6;
export const NFT_MSG_GETRULE = 7;

/** nfnetlink message type: subsystem in the high byte, message in the low byte. */
export function nftMessageType(msg: number): number {
  return (NFNL_SUBSYS_NFTABLES << 8) | msg;
}

/** enum nft_chain_attributes */
export const NFTA_CHAIN_TABLE = 1;
export const NFTA_CHAIN_NAME = 3;

/** enum nft_rule_attributes */
export const NFTA_RULE_TABLE = 1;
export const NFTA_RULE_CHAIN = 2;
export const NFTA_RULE_HANDLE = 3;
export const NFTA_RULE_EXPRESSIONS = 4;
export const NFTA_RULE_POSITION = 6;
export const NFTA_RULE_USERDATA = 7;

/** enum nft_list_attributes */
export const NFTA_LIST_ELEM = 1;

/** enum nft_expr_attributes */
export const NFTA_EXPR_NAME = 1;
export const NFTA_EXPR_DATA = 2;

/** enum nft_counter_attributes */
export const NFTA_COUNTER_BYTES = 1;
export const NFTA_COUNTER_PACKETS = 2;

/**
 * Rule userdata is libnftnl's own TLV format (u8 type, u8 length, value), not netlink attributes:
 * libnftnl/include/libnftnl/udata.h, enum nftnl_udata_rule_types: NFTNL_UDATA_RULE_COMMENT = 0.
 */
export const NFTNL_UDATA_RULE_COMMENT = 0;

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
  for (const [name, value] of Object.entries(FAMILIES)) if (value === family) return name;
  return `family${family}`;
}
