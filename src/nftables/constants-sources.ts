/**
 * nf_tables constants for the sources beyond a chain's rules: chain listing, stateful objects (named
 * counters, quotas) and named sets with their elements. Values checked against
 * /usr/include/linux/netfilter/nf_tables.h (Linux 6.18 uapi), kernel order; constants.ts holds the rest.
 * A source whose constants nothing else reads keeps them in its folder (sources/tables/source.ts).
 */

/** enum nf_tables_msg_types */
export const NFT_MSG_NEWSET = 9;
export const NFT_MSG_GETSET = 10;
export const NFT_MSG_NEWOBJ = 18;
export const NFT_MSG_GETOBJ = 19;
/** The GET types that reset what they dump (requests.ts refuses them). */
export const NFT_MSG_GETOBJ_RESET = 21;
export const NFT_MSG_GETRULE_RESET = 25;
export const NFT_MSG_GETSETELEM_RESET = 33;

/** enum nft_object_attributes */
export const NFTA_OBJ_TABLE = 1;
export const NFTA_OBJ_NAME = 2;
export const NFTA_OBJ_TYPE = 3;
export const NFTA_OBJ_DATA = 4;
export const NFTA_OBJ_HANDLE = 6;
export const NFTA_OBJ_USERDATA = 8;

/** NFT_OBJECT_* (#define): the types of stateful object nfprom exports. */
export const NFT_OBJECT_COUNTER = 1;
export const NFT_OBJECT_QUOTA = 2;

/** enum nft_quota_attributes */
export const NFTA_QUOTA_BYTES = 1;
export const NFTA_QUOTA_FLAGS = 2;
export const NFTA_QUOTA_CONSUMED = 4;

/** enum nft_quota_flags: `quota over` is inverted; DEPLETED is set once the quota is used up. */
export const NFT_QUOTA_F_INV = 1 << 0;
export const NFT_QUOTA_F_DEPLETED = 1 << 1;

/** enum nft_set_attributes */
export const NFTA_SET_TABLE = 1;
export const NFTA_SET_NAME = 2;
export const NFTA_SET_FLAGS = 3;
export const NFTA_SET_KEY_TYPE = 4;
export const NFTA_SET_KEY_LEN = 5;
/** Nested: the set's description; NFTA_SET_DESC_SIZE in it is the declared `size` (u32). */
export const NFTA_SET_DESC = 9;
export const NFTA_SET_DESC_SIZE = 1;
export const NFTA_SET_HANDLE = 16;
export const NFTA_SET_EXPR = 17;
export const NFTA_SET_EXPRESSIONS = 18;

/** enum nft_set_flags */
export const NFT_SET_ANONYMOUS = 0x1;
export const NFT_SET_INTERVAL = 0x4;
export const NFT_SET_MAP = 0x8;
export const NFT_SET_CONCAT = 0x80;

/** enum nft_set_elem_attributes (the ones constants.ts does not hold) */
export const NFTA_SET_ELEM_USERDATA = 6;
export const NFTA_SET_ELEM_EXPR = 7;
export const NFTA_SET_ELEM_EXPRESSIONS = 11;
