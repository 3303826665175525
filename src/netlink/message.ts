import { ErrorCodes, NfpromError } from "../errors.js";
import { nlmsgAlign } from "./align.js";
import { AttributeDecoder } from "./attributes.js";
import { HOST_ORDER, hostI32, hostU16, hostU32, writeHostU16, writeHostU32 } from "./byteorder.js";
import {
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
} from "./constants.js";

/** NetlinkMessage is one struct nlmsghdr and its payload; `payload` views the datagram, it is not a copy. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

/**
 * parseMessages yields the messages of one datagram in order. A header that does not fit or a length that
 * runs past the datagram throws NFPROM_DECODE: the rest of that datagram cannot be trusted.
 */
export function* parseMessages(datagram: Buffer): Generator<NetlinkMessage> {
  let off = 0;
  while (off < datagram.length) {
    const remaining = datagram.length - off;
    if (remaining < NLMSG_HDRLEN)
      throw decodeError(`message header at offset ${off}: ${remaining} bytes left`);
    const len = hostU32(datagram, off);
    if (len < NLMSG_HDRLEN || len > remaining) {
      throw decodeError(`message at offset ${off}: length ${len}, ${remaining} bytes left`);
    }
    yield {
      type: hostU16(datagram, off + 4),
      flags: hostU16(datagram, off + 6),
      seq: hostU32(datagram, off + 8),
      pid: hostU32(datagram, off + 12),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    };
    off += nlmsgAlign(len);
  }
}

/**
 * endsExchange tells whether a datagram holds the last reply to request `seq` (NLMSG_DONE or an error),
 * reading the message headers in place: it runs on every datagram of a dump, before the messages are
 * decoded. A malformed datagram counts as the end: decoding it will throw.
 */
export function endsExchange(datagram: Buffer, seq: number): boolean {
  let off = 0;
  while (off < datagram.length) {
    if (datagram.length - off < NLMSG_HDRLEN) return true;
    const len = hostU32(datagram, off);
    if (len < NLMSG_HDRLEN || len > datagram.length - off) return true;
    const type = hostU16(datagram, off + 4);
    const msgSeq = hostU32(datagram, off + 8);
    if (msgSeq === seq && (type === NLMSG_DONE || type === NLMSG_ERROR)) return true;
    off += nlmsgAlign(len);
  }
  return false;
}

/** encodeHeader writes a struct nlmsghdr for a request of `totalLength` bytes into `buf` at offset 0. */
export function encodeHeader(
  buf: Buffer,
  totalLength: number,
  type: number,
  flags: number,
  seq: number,
): void {
  writeHostU32(buf, totalLength, 0);
  writeHostU16(buf, type, 4);
  writeHostU16(buf, flags, 6);
  writeHostU32(buf, seq, 8);
  writeHostU32(buf, 0, 12);
}

/** KernelError is an NLMSG_ERROR reply with a non-zero error: the errno and the extended-ack reason. */
export class KernelError extends NfpromError {
  constructor(
    readonly op: string,
    errno: number,
    readonly extAck: string | undefined,
    readonly extAckOffset: number | undefined,
  ) {
    super(ErrorCodes.NETLINK, `${op}: ${errnoName(errno)}${extAck ? ` (${extAck})` : ""}`, errno);
  }
}

/**
 * checkMessage turns a kernel reply into either nothing (data, DONE or a positive ACK) or an error:
 * NLMSG_ERROR with a non-zero code, or DONE carrying a negative errno, becomes a KernelError; NLM_F_DUMP_INTR on any message, DONE included,
 * becomes NFPROM_DUMP_INTR because the dump that carries it is not a consistent view of the ruleset.
 * Returns true when the message is an ACK (NLMSG_ERROR with error 0).
 */
export function checkMessage(msg: NetlinkMessage, op: string): boolean {
  if (msg.flags & NLM_F_DUMP_INTR) {
    throw new NfpromError(ErrorCodes.DUMP_INTR, `${op}: ruleset changed during the dump (NLM_F_DUMP_INTR)`);
  }
  if (msg.type === NLMSG_DONE) {
    // netlink_dump_done() puts the dump callback's error, if any, in DONE's payload.
    const error = msg.payload.length >= 4 ? readInt32(msg.payload) : 0;
    if (error < 0) throw new KernelError(op, -error, undefined, undefined);
    return false;
  }
  if (msg.type !== NLMSG_ERROR) return false;
  if (msg.payload.length < 4) throw decodeError(`${op}: NLMSG_ERROR of ${msg.payload.length} bytes`);
  const error = readInt32(msg.payload);
  if (error === 0) return true;
  const ack = extendedAck(msg);
  throw new KernelError(op, -error, ack.message, ack.offset);
}

function readInt32(payload: Buffer): number {
  return hostI32(payload, 0);
}

/** extendedAck reads NLMSGERR_ATTR_* after the echoed request header (or whole request if not capped). */
function extendedAck(msg: NetlinkMessage): { message?: string; offset?: number } {
  if (!(msg.flags & NLM_F_ACK_TLVS) || msg.payload.length < 4 + NLMSG_HDRLEN) return {};
  const echoedLen = hostU32(msg.payload, 4);
  const tlvStart = 4 + (msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : nlmsgAlign(echoedLen));
  const ad = new AttributeDecoder(msg.payload.subarray(tlvStart), HOST_ORDER);
  const out: { message?: string; offset?: number } = {};
  while (ad.next()) {
    if (ad.type === NLMSGERR_ATTR_MSG) out.message = ad.string();
    else if (ad.type === NLMSGERR_ATTR_OFFS) out.offset = ad.u32();
  }
  // Explicitly ignore ad.err: a malformed ack TLV must not hide the errno we already have.
  return out;
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  16: "EBUSY",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  105: "ENOBUFS",
};

/** errnoName renders an errno as its symbolic name where nfprom expects to meet it. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

function decodeError(message: string): NfpromError {
  return new NfpromError(ErrorCodes.DECODE, `netlink: ${message}`);
}
