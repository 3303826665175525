import { ErrorCodes, NfpromError } from "../errors.js";
import { hostU16 } from "../netlink/byteorder.js";
import { NLA_HDRLEN, NLA_TYPE_MASK } from "../netlink/constants.js";
import { NFGENMSG_LEN, NFTA_RULE_HANDLE, NFTA_RULE_POSITION } from "./constants.js";

const U64_ATTR_LEN = NLA_HDRLEN + 8;
const NONE = -1;

/**
 * RuleOrder checks that a rule dump holds one chain's rules in the chain's order, each once. The kernel
 * builds a dump one datagram at a time and finds where to go on by counting rules from the chain's head;
 * a rule inserted or deleted before that point in between shifts the count, and a rule comes twice or
 * not at all. NLM_F_DUMP_INTR is meant to say so, but the kernel does not always set it
 * (docs/design-notes.md; a rule counted twice is a counter reset to Prometheus).
 *
 * Every rule message names the rule before it in the chain as the kernel saw it when it wrote the message
 * (NFTA_RULE_POSITION: its handle; absent for the chain's first rule). In a whole dump that is always the
 * rule received just before; a repeated or skipped rule breaks the sequence at the message after the
 * shift, so such a dump is treated as interrupted (NFPROM_DUMP_INTR: retried, then reported).
 */
export class RuleOrder {
  /** The last rule's handle as two 32-bit halves; NONE before the first rule. */
  #high = NONE;
  #low = NONE;

  constructor(readonly chain: string) {}

  /** follow takes the dump's next rule message (its payload); it throws NFPROM_DUMP_INTR if out of order. */
  follow(payload: Buffer): void {
    let handleAt = NONE;
    let positionAt = NONE;
    for (
      let off = NFGENMSG_LEN;
      off + NLA_HDRLEN <= payload.length && (handleAt === NONE || positionAt === NONE);
    ) {
      const len = hostU16(payload, off);
      const type = hostU16(payload, off + 2) & NLA_TYPE_MASK;
      if (len < NLA_HDRLEN) break; // malformed: the decoder reports it
      if (len === U64_ATTR_LEN && off + len <= payload.length) {
        if (type === NFTA_RULE_HANDLE) handleAt = off + NLA_HDRLEN;
        else if (type === NFTA_RULE_POSITION) positionAt = off + NLA_HDRLEN;
      }
      off += (len + 3) & ~3;
    }
    if (handleAt === NONE) return; // not a rule the decoder accepts: it reports it
    const follows =
      positionAt === NONE
        ? this.#high === NONE
        : payload.readUInt32BE(positionAt) === this.#high &&
          payload.readUInt32BE(positionAt + 4) === this.#low;
    if (!follows) throw this.#outOfOrder(payload, handleAt, positionAt);
    this.#high = payload.readUInt32BE(handleAt);
    this.#low = payload.readUInt32BE(handleAt + 4);
  }

  #outOfOrder(payload: Buffer, handleAt: number, positionAt: number): NfpromError {
    const handle = payload.readBigUInt64BE(handleAt);
    const placed = positionAt === NONE ? "first" : `after handle ${payload.readBigUInt64BE(positionAt)}`;
    const came =
      this.#high === NONE ? "first" : `after handle ${(BigInt(this.#high) << 32n) | BigInt(this.#low)}`;
    return new NfpromError(
      ErrorCodes.DUMP_INTR,
      `dump rules of ${this.chain}: rule handle ${handle} came ${came}, but the kernel placed it ${placed} ` +
        "(the chain changed during the dump)",
    );
  }
}
