/**
 * Netlink constants nfprom uses, from include/uapi/linux/netlink.h (Linux 6.18).
 * Only what the reader needs: it sends two kinds of request and parses their replies.
 */
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_NETFILTER = 12;

export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVTIMEO = 20;
export const SOL_NETLINK = 270;
/** Do not echo the whole request back in an error reply (netlink.h NETLINK_CAP_ACK). */
export const NETLINK_CAP_ACK = 10;
/** Let the kernel attach a human-readable reason to error replies (NETLINK_EXT_ACK). */
export const NETLINK_EXT_ACK = 11;

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
/** Set by the kernel when the dumped object set changed while the dump ran: the dump is inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** On NLMSG_ERROR: the request was not echoed (NETLINK_CAP_ACK). */
export const NLM_F_CAPPED = 0x100;
/** On NLMSG_ERROR: extended-ack TLVs follow. */
export const NLM_F_ACK_TLVS = 0x200;

/** enum nlmsgerr_attrs */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

/** NLA_F_NESTED | NLA_F_NET_BYTEORDER live in the top two bits of an attribute's type. */
export const NLA_TYPE_MASK = 0x3fff;
export const NLA_HDRLEN = 4;

/** The errno values nfprom tells apart (asm-generic/errno-base.h, errno.h). */
export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EAGAIN = 11;
export const EBUSY = 16;
