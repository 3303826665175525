import { ErrorCodes, NfpromError } from "../errors.js";
import { EPERM, NLMSG_DONE, NLMSG_NOOP } from "../netlink/constants.js";
import {
  checkMessage,
  endsExchange,
  KernelError,
  type NetlinkMessage,
  parseMessages,
} from "../netlink/message.js";
import type { NetlinkSocket } from "../netlink/socket.js";

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
  mapError: (err: unknown) => unknown = permissionError,
): Promise<void> {
  await sock.send(request);
  let next: Promise<Buffer[]> | undefined = sock.recvMany();
  try {
    for (;;) {
      const datagrams: Buffer[] = await next;
      // Ask for the next datagrams before decoding these: the kernel builds them inside that call, on
      // koffi's thread, while these are decoded here. Not after the last one, which nothing would answer.
      next = datagrams.some((d) => endsExchange(d, seq)) ? undefined : sock.recvMany();
      for (const datagram of datagrams) {
        for (const msg of parseMessages(datagram)) {
          if (msg.seq !== seq) continue; // a reply to an earlier request; sockets are reopened after aborts
          try {
            checkMessage(msg, op);
          } catch (err) {
            throw mapError(err);
          }
          if (msg.type === NLMSG_DONE) return;
          if (msg.type !== NLMSG_NOOP) onMessage(msg);
        }
      }
      if (shouldStop()) throw new NfpromError(ErrorCodes.TIMEOUT, `read deadline exceeded during ${op}`);
      if (!next) throw new NfpromError(ErrorCodes.DECODE, `${op}: the reply ended without NLMSG_DONE`);
    }
  } finally {
    // After an early exit the prefetched receive still completes (or times out); its outcome is moot.
    next?.catch(() => undefined);
  }
}

/** permissionError gives EPERM the wording a sysadmin can act on; other errors pass unchanged. */
export function permissionError(err: unknown): unknown {
  if (err instanceof KernelError && err.errno === EPERM) {
    return new NfpromError(
      ErrorCodes.EPERM,
      "reading nftables needs root or CAP_NET_ADMIN (kernel said EPERM)",
      EPERM,
    );
  }
  return err;
}
