import { ErrorCodes, NfpromError } from "../errors.js";
import { NLMSG_DONE, NLMSG_NOOP } from "../netlink/constants.js";
import { checkMessage, KernelError, type NetlinkMessage, parseMessages } from "../netlink/message.js";
import type { NetlinkSocket } from "../netlink/socket.js";

const EPERM = 1;

let nextSeq = 1;

/** nextSequence numbers requests so that a late reply to an abandoned one is recognised and skipped. */
export function nextSequence(): number {
  nextSeq = (nextSeq % 0x7fffffff) + 1;
  return nextSeq;
}

/**
 * dumpMessages sends one NLM_F_DUMP request and streams every reply message to `onMessage`, datagram by
 * datagram, until NLMSG_DONE. `shouldStop` is checked after each datagram (the deadline). Errors:
 * NFPROM_DUMP_INTR (ruleset changed meanwhile), NFPROM_EPERM, NFPROM_TIMEOUT, NFPROM_DECODE, NFPROM_NETLINK
 * naming `op`. After any error the socket is mid-dump: the caller must close it.
 */
export async function dumpMessages(
  sock: NetlinkSocket,
  request: Buffer,
  seq: number,
  op: string,
  onMessage: (msg: NetlinkMessage) => void,
  shouldStop: () => boolean,
): Promise<void> {
  await sock.send(request);
  for (;;) {
    for (const msg of parseMessages(await sock.recv())) {
      if (msg.seq !== seq) continue;
      try {
        checkMessage(msg, op);
      } catch (err) {
        throw permissionError(err);
      }
      if (msg.type === NLMSG_DONE) return;
      if (msg.type !== NLMSG_NOOP) onMessage(msg);
    }
    if (shouldStop()) throw new NfpromError(ErrorCodes.TIMEOUT, `read deadline exceeded during ${op}`);
  }
}

/** permissionError gives EPERM the wording a sysadmin can act on; other errors pass unchanged. */
function permissionError(err: unknown): unknown {
  if (err instanceof KernelError && err.errno === EPERM) {
    return new NfpromError(
      ErrorCodes.EPERM,
      "reading nftables needs root or CAP_NET_ADMIN (kernel said EPERM)",
      EPERM,
    );
  }
  return err;
}
