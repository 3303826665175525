import { ErrorCodes, NfpromError } from "../errors.js";
import { hostU16 } from "../netlink/byteorder.js";
import { NLA_TYPE_MASK } from "../netlink/constants.js";
import { checkMessage, type NetlinkMessage, parseMessages } from "../netlink/message.js";
import type { NetnsRef } from "../netlink/netns.js";
import { type NetlinkSocket, netfilterSocket, type SocketOpener, SocketSlot } from "../netlink/socket.js";
import { NFGENMSG_LEN, NFT_MSG_NEWGEN, NFTA_GEN_ID, nftMessageType } from "./constants.js";
import { nextSequence, permissionError } from "./dump.js";
import { commitBarrierRequest, getGenerationRequest } from "./requests.js";

/** Barriers begin() waits through while transactions keep committing, before the read goes ahead anyway. */
const BEGIN_WAITS = 3;

/**
 * A read is whole when no ruleset transaction ran during any of its dumps. The kernel cannot say so by
 * itself: NLM_F_DUMP_INTR is only set when a dump's parts straddle a generation bump, and a dump that
 * runs entirely inside a commit (after the bump, before the old table is unlinked) finds the old table
 * first by name, sees its chain already gone and ends empty, unflagged (docs/reload-truth.md).
 *
 * WholeReadProof brackets a read: generation and barrier (`begin`), the read, barrier and generation
 * (`end`). Each barrier is an empty transaction, which returns only once no transaction holds the commit
 * mutex. A transaction that overlaps the read either commits after the first generation was taken (the
 * second differs) or had committed before it and still ran (impossible: the first barrier waited for
 * it). One that aborts changes no generation, but its entries were never visible to dumps, and the rule
 * dump's order check (rule-order.ts) catches what their removal could shift. Equal generations therefore
 * prove that every dump between saw one committed ruleset; unequal ones throw NFPROM_RULESET_CHANGED.
 * It keeps a socket of its own, so that a part whose dump failed never leaves the proof without one.
 */
export class WholeReadProof {
  readonly #slot: SocketSlot;
  /** The next read's begin, done as soon as the last read ended: off the next scrape's path. */
  #ahead: Promise<number> | undefined;

  constructor(options: { recvTimeoutMs: number; netns?: NetnsRef; openSocket?: SocketOpener }) {
    this.#slot = new SocketSlot(netfilterSocket(options), options.openSocket);
  }

  /**
   * begin returns a generation read before the last barrier, once no transaction is in progress. It is
   * usually done ahead, right after the last read (its generation, then a barrier); it then only checks
   * that the generation has not moved since, which a quick request tells without waiting: if it moved,
   * the ruleset changed between the reads and begin starts afresh instead of wasting a read.
   */
  async begin(): Promise<number> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    const prepared = await ahead?.catch(() => undefined);
    return this.#slot.use(async (sock) => {
      const now = await readGeneration(sock);
      return now === prepared ? prepared : beginFrom(sock, now);
    });
  }

  /**
   * end returns the generation after the read, or throws NFPROM_RULESET_CHANGED if it moved. Either way it
   * starts the next read's begin: that generation, then a barrier.
   */
  async end(before: number): Promise<number> {
    const after = await this.#slot.use(async (sock) => {
      await waitForTransactions(sock);
      return readGeneration(sock);
    });
    this.#ahead = this.#slot.use((sock) => beginFrom(sock, after));
    this.#ahead.catch(() => undefined); // a failure there only means begin starts afresh
    if (after !== before) {
      throw new NfpromError(
        ErrorCodes.RULESET_CHANGED,
        `ruleset changed during the read (generation ${before} → ${after})`,
      );
    }
    return after;
  }

  close(): void {
    this.#slot.close();
  }
}

/**
 * beginFrom takes `before`, a generation already read, through a barrier. When a transaction committed
 * while the barrier waited, a read after it would be thrown away for sure: wait again instead (at most
 * BEGIN_WAITS barriers), each time with the generation read just before. Returns a generation read
 * before the last barrier.
 */
async function beginFrom(sock: NetlinkSocket, before: number): Promise<number> {
  for (let waits = 1; ; waits++) {
    await waitForTransactions(sock);
    if (waits === BEGIN_WAITS) return before;
    const now = await readGeneration(sock);
    if (now === before) return before;
    before = now;
  }
}

/** readGeneration returns the ruleset generation: the counter every commit increments (NFTA_GEN_ID). */
export async function readGeneration(sock: NetlinkSocket): Promise<number> {
  const seq = nextSequence();
  await sock.send(getGenerationRequest(seq));
  let generation: number | undefined;
  // The kernel answers inside send(), so recvMany finds the reply queued and reads it on the event loop.
  for (;;) {
    for (const datagram of await sock.recvMany()) {
      for (const msg of parseMessages(datagram)) {
        if (msg.seq !== seq) continue;
        if (check(msg, "read ruleset generation")) {
          if (generation === undefined) {
            throw new NfpromError(ErrorCodes.DECODE, "read ruleset generation: ACK without NFTA_GEN_ID");
          }
          return generation;
        }
        if (msg.type === nftMessageType(NFT_MSG_NEWGEN)) generation = generationOf(msg.payload);
      }
    }
  }
}

/**
 * waitForTransactions sends the empty transaction (requests.ts: commitBarrierRequest) from the worker
 * thread: the kernel holds the send until whatever transaction is being prepared or committed is done.
 */
export async function waitForTransactions(sock: NetlinkSocket): Promise<void> {
  await sock.sendWaiting(commitBarrierRequest(nextSequence()));
}

/** generationOf reads NFTA_GEN_ID (u32, network order) from a NEWGEN payload; undefined when absent. */
export function generationOf(payload: Buffer): number | undefined {
  let off = NFGENMSG_LEN;
  while (off + 4 <= payload.length) {
    const len = hostU16(payload, off);
    const type = hostU16(payload, off + 2) & NLA_TYPE_MASK;
    if (len < 4 || off + len > payload.length) return undefined;
    if (type === NFTA_GEN_ID && len === 8) return payload.readUInt32BE(off + 4);
    off += (len + 3) & ~3;
  }
  return undefined;
}

function check(msg: NetlinkMessage, op: string): boolean {
  try {
    return checkMessage(msg, op);
  } catch (err) {
    throw permissionError(err);
  }
}
