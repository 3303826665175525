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
export const NFT_MSG_NEWSETELEM = 12;
export const NFT_MSG_GETSETELEM = 13;
export const NFT_MSG_NEWGEN = 15;
export const NFT_MSG_GETGEN = 16;

/** enum nfnl_batch_msg_types (nfnetlink.h): the frame of a transaction. */
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;

/** enum nft_gen_attributes */
export const NFTA_GEN_ID = 1;

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

/** enum nft_data_attributes: the value of cmp/range/set-element data. */
export const NFTA_DATA_VALUE = 1;

/** enum nft_payload_attributes */
export const NFTA_PAYLOAD_DREG = 1;
export const NFTA_PAYLOAD_BASE = 2;
export const NFTA_PAYLOAD_OFFSET = 3;
export const NFTA_PAYLOAD_LEN = 4;
export const NFTA_PAYLOAD_SREG = 5;

/** enum nft_cmp_attributes */
export const NFTA_CMP_SREG = 1;
export const NFTA_CMP_OP = 2;
export const NFTA_CMP_DATA = 3;

/** enum nft_bitwise_attributes */
export const NFTA_BITWISE_SREG = 1;
export const NFTA_BITWISE_DREG = 2;
export const NFTA_BITWISE_LEN = 3;
export const NFTA_BITWISE_MASK = 4;
export const NFTA_BITWISE_XOR = 5;
export const NFTA_BITWISE_OP = 6;

/** enum nft_meta_attributes */
export const NFTA_META_DREG = 1;
export const NFTA_META_KEY = 2;
export const NFTA_META_SREG = 3;

/** enum nft_range_attributes */
export const NFTA_RANGE_SREG = 1;
export const NFTA_RANGE_OP = 2;
export const NFTA_RANGE_FROM_DATA = 3;
export const NFTA_RANGE_TO_DATA = 4;

/** enum nft_lookup_attributes */
export const NFTA_LOOKUP_SET = 1;
export const NFTA_LOOKUP_SREG = 2;
export const NFTA_LOOKUP_DREG = 3;
export const NFTA_LOOKUP_SET_ID = 4;
export const NFTA_LOOKUP_FLAGS = 5;

/** enum nft_ct_attributes */
export const NFTA_CT_DREG = 1;
export const NFTA_CT_KEY = 2;
export const NFTA_CT_DIRECTION = 3;
export const NFTA_CT_SREG = 4;

/** enum nft_set_elem_list_attributes */
export const NFTA_SET_ELEM_LIST_TABLE = 1;
export const NFTA_SET_ELEM_LIST_SET = 2;
export const NFTA_SET_ELEM_LIST_ELEMENTS = 3;

/** enum nft_set_elem_attributes */
export const NFTA_SET_ELEM_KEY = 1;
export const NFTA_SET_ELEM_FLAGS = 3;
export const NFTA_SET_ELEM_KEY_END = 10;

/** enum nft_set_elem_flags */
export const NFT_SET_ELEM_INTERVAL_END = 0x1;
export const NFT_SET_ELEM_CATCHALL = 0x2;

/**
 * Rule userdata is libnftnl's own TLV format (u8 type, u8 length, value), not netlink attributes:
 * libnftnl/include/libnftnl/udata.h, enum nftnl_udata_rule_types: NFTNL_UDATA_RULE_COMMENT = 0.
 */
export const NFTNL_UDATA_RULE_COMMENT = 0;

/** struct nfgenmsg (family, version, res_id) opens every nf_tables message payload. */
export const NFGENMSG_LEN = 4;

/** The NFPROTO_* families live in model/, which names them in patterns and snapshots and sits below nftables/. */
export { FAMILIES, type FamilyName, familyName } from "../model/families.js";
