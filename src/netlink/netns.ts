import type { Stats } from "node:fs";
import koffi from "koffi";
import { fs } from "../builtins.js";
import { ErrorCodes, NfpromError } from "../errors.js";
import { libc } from "../libc.js";
import { errnoName } from "./message.js";

const { closeSync, constants, fstatSync, openSync, statSync } = fs;

const setns = libc.func("int setns(int fd, int nstype)");
const CLONE_NEWNET = 0x40000000;
/** The calling thread's own network namespace (setns changes the thread's, not the process's). */
const OWN_NETNS = "/proc/thread-self/ns/net";

/**
 * NetnsRef names a network namespace to open sockets in: the path it is entered by, and the identity it
 * had when it was selected (`namespaceIdentity`). A socket is only ever opened in that very namespace.
 */
export interface NetnsRef {
  /** A Buffer for a name under /run/netns that is no UTF-8 (reader/namespaces.ts). */
  path: string | Buffer;
  id: string;
}

/** namespaceIdentity: device and inode of a namespace file, which tell namespaces apart. */
export function namespaceIdentity(st: Pick<Stats, "dev" | "ino">): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * inNetns runs `open` (a synchronous socket(2) call) with the calling thread inside the network namespace
 * `ns` (a /run/netns entry, /proc/<pid>/ns/net or a bind mount of it), then returns the thread to its
 * own. A socket belongs to the namespace it was created in for its whole life (setns(2)), so later calls
 * on it, from any thread, reach that namespace's nf_tables. The path must still lead to the namespace
 * selected: one deleted and made again under its name, or a /proc/<pid> path whose process was replaced,
 * would mix two namespaces' reads under one label. Both namespace descriptors are opened with O_CLOEXEC
 * (Node's default) and closed before returning: no process nfprom starts inherits one, and the reader
 * holds none between reads. setns needs CAP_SYS_ADMIN (docs/namespaces.md).
 */
export function inNetns<T>(ns: NetnsRef, open: () => T): T {
  const { path } = ns;
  const target = openNamespace(path);
  try {
    if (namespaceIdentity(fstatSync(target)) !== ns.id) {
      throw new NfpromError(ErrorCodes.SOCKET, `netns ${path}: no longer the namespace selected (replaced)`);
    }
    const own = openSync(OWN_NETNS, "r");
    try {
      enter(target, path);
      try {
        return open();
      } finally {
        returnHome(own);
      }
    } finally {
      closeSync(own);
    }
  } finally {
    closeSync(target);
  }
}

/**
 * openNamespace opens the file only if it is a namespace (on nsfs, as /proc/self/ns/net is): opening a
 * path given by mistake may act (a FIFO wakes its writer, a device such as a watchdog arms). Without
 * waiting, should it turn into a FIFO in between.
 */
function openNamespace(path: string | Buffer): number {
  try {
    if (statSync(path).dev !== statSync("/proc/self/ns/net").dev) {
      throw new NfpromError(ErrorCodes.SOCKET, `netns ${path}: not a namespace (no nsfs file)`);
    }
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof NfpromError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new NfpromError(ErrorCodes.SOCKET, `netns ${path}: open: ${code}`);
  }
}

function enter(fd: number, path: string | Buffer): void {
  if ((setns(fd, CLONE_NEWNET) as number) === 0) return;
  const errno = koffi.errno();
  // EINVAL: the file is no network namespace; EPERM: CAP_SYS_ADMIN is missing.
  throw new NfpromError(ErrorCodes.SOCKET, `netns ${path}: setns: ${errnoName(errno)}`, errno);
}

/**
 * returnHome puts the thread back in its own namespace. Should that ever fail, every socket the reader
 * opened later would read the wrong namespace's ruleset under the right label: the reader ends instead.
 */
function returnHome(own: number): void {
  if ((setns(own, CLONE_NEWNET) as number) === 0) return;
  process.stderr.write(`nfprom: cannot return to its own network namespace (errno ${koffi.errno()})\n`);
  process.exit(1);
}
