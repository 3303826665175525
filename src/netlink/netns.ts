import { closeSync, constants, openSync } from "node:fs";
import koffi from "koffi";
import { ErrorCodes, NfpromError } from "../errors.js";
import { libc } from "../libc.js";
import { errnoName } from "./message.js";

const setns = libc.func("int setns(int fd, int nstype)");
const CLONE_NEWNET = 0x40000000;
/** The calling thread's own network namespace (setns changes the thread's, not the process's). */
const OWN_NETNS = "/proc/thread-self/ns/net";

/**
 * inNetns runs `open` (a synchronous socket(2) call) with the calling thread inside the network namespace
 * at `path` (a /run/netns entry, /proc/<pid>/ns/net or a bind mount of it), then returns the thread to its
 * own. A socket belongs to the namespace it was created in for its whole life (setns(2)), so later calls
 * on it, from any thread, reach that namespace's nf_tables. Both namespace descriptors are opened with
 * O_CLOEXEC (Node's default) and closed before returning: no process nfprom starts inherits one, and the
 * reader holds none between reads. setns needs CAP_SYS_ADMIN (docs/namespaces.md).
 */
export function inNetns<T>(path: string, open: () => T): T {
  const target = openNamespace(path);
  try {
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

/** openNamespace opens the file without waiting: a FIFO given by mistake must not hang the reader. */
function openNamespace(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new NfpromError(ErrorCodes.SOCKET, `netns ${path}: open: ${code}`);
  }
}

function enter(fd: number, path: string): void {
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
