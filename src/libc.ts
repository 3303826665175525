import koffi from "koffi";

/** libc, loaded once for every module that calls into it (netlink socket, capabilities, re-exec). */
export const libc = koffi.load("libc.so.6");
