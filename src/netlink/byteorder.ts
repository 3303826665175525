import { endianness } from "node:os";

/** Netlink headers (nlmsghdr, nlattr) are in host byte order; nf_tables payload values are big-endian. */
export const HOST_ORDER: "big" | "little" = endianness() === "BE" ? "big" : "little";
