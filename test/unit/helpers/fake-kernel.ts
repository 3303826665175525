import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { hostU32, writeHostU32 } from "../../../src/netlink/byteorder.js";
import { type NetlinkSocket, RECV_BATCH } from "../../../src/netlink/socket.js";
import { datagramsOf, loadFixture } from "./fixtures.js";

/** Where nlmsghdr keeps its length and sequence number (host order, like the kernel writes them). */
const NLMSG_SEQ_OFFSET = 8;
const NLMSG_HDRLEN = 16;

/**
 * Capture is one request a real kernel answered (test/fixtures/**: see its README), replayed as it was
 * captured.
 */
export interface Capture {
  name: string;
  request: Buffer;
  datagrams: Buffer[];
}

/**
 * Fault: how one replayed exchange goes wrong at the socket, where no capture can show it: the answer stops
 * after some datagrams (the next receive times out, as SO_RCVTIMEO makes it), the send fails, the first
 * receive fails with an errno, or it waits until the socket is closed (a kernel slower than any deadline).
 */
export type Fault =
  | { kind: "silent-after"; datagrams: number }
  | { kind: "send-errno"; errno: number }
  | { kind: "recv-errno"; errno: number }
  | { kind: "hang" };

/** captureOf loads test/fixtures/<name>.json as a replayable exchange. */
export function captureOf(name: string): Capture {
  const f = loadFixture(name);
  return { name, request: Buffer.from(f.request.hex, "hex"), datagrams: datagramsOf(f) };
}

/** keyOf is a request as the fake kernel recognises it: every byte but the sequence numbers. */
function keyOf(request: Buffer): string {
  const copy = Buffer.from(request);
  for (let off = 0; off + NLMSG_HDRLEN <= copy.length; ) {
    const len = hostU32(copy, off);
    if (len < NLMSG_HDRLEN) break;
    writeHostU32(copy, 0, off + NLMSG_SEQ_OFFSET);
    off += (len + 3) & ~3;
  }
  return copy.toString("hex");
}

/** seqsOf reads the sequence numbers of a datagram's messages, in order. */
function seqsOf(datagram: Buffer): number[] {
  const seqs: number[] = [];
  for (let off = 0; off + NLMSG_HDRLEN <= datagram.length; ) {
    const len = hostU32(datagram, off);
    if (len < NLMSG_HDRLEN) break;
    seqs.push(hostU32(datagram, off + NLMSG_SEQ_OFFSET));
    off += (len + 3) & ~3;
  }
  return seqs;
}

/**
 * renumber copies a captured datagram, each message renumbered to answer the live request's message at
 * the place its own captured request's message had (`seqs`: captured → live), so that the answers to a
 * datagram of several requests (the batched chain lookups) go each to its own; a message that answers
 * none of them gets the first request's number.
 */
function renumber(datagram: Buffer, seqs: ReadonlyMap<number, number>, first: number): Buffer {
  const copy = Buffer.from(datagram);
  for (let off = 0; off + NLMSG_HDRLEN <= copy.length; ) {
    const len = hostU32(copy, off);
    if (len < NLMSG_HDRLEN) break;
    writeHostU32(copy, seqs.get(hostU32(copy, off + NLMSG_SEQ_OFFSET)) ?? first, off + NLMSG_SEQ_OFFSET);
    off += (len + 3) & ~3;
  }
  return copy;
}

/**
 * FakeKernel answers the requests of the sockets it opens from captured exchanges, like mdlayher/netlink's
 * nltest: bytes recorded from a real kernel, only the sequence numbers rewritten to the asking request's
 * (each answer to the request message it answered, when one datagram carried several).
 * Each request is answered by the next capture queued for it (a capture queued several times answers as
 * many requests; the last one answers every later request). A request no capture answers is recorded in
 * `unanswered` and fails the call, so a test sees at once that its captures do not cover the path.
 */
export class FakeKernel {
  readonly #answers = new Map<string, { capture: Capture; fault?: Fault }[]>();
  readonly unanswered: string[] = [];
  /** Names of the captures replayed, in order. */
  readonly replayed: string[] = [];
  /** Sockets opened so far (SocketSlot opens one, and another after each failure). */
  opened = 0;
  /** Datagrams one recvMany() returns at most (the real socket: up to RECV_BATCH, as many as are built). */
  batch = RECV_BATCH;
  /** When set, opening a socket fails like socket(2) with this errno. */
  openErrno: number | undefined;

  constructor(captures: readonly (Capture | string)[] = []) {
    for (const c of captures) this.answer(typeof c === "string" ? captureOf(c) : c);
  }

  /** answer queues a capture (optionally with a fault) for the next request of its kind. */
  answer(capture: Capture | string, fault?: Fault): this {
    const c = typeof capture === "string" ? captureOf(capture) : capture;
    const key = keyOf(c.request);
    const queue = this.#answers.get(key) ?? [];
    queue.push(fault ? { capture: c, fault } : { capture: c });
    this.#answers.set(key, queue);
    return this;
  }

  /** open is the readers' SocketOpener (RawNetlinkSocket.open's stand-in). */
  readonly open = (): FakeSocket => {
    if (this.openErrno !== undefined) {
      throw new NfpromError(ErrorCodes.SOCKET, `netlink: socket(AF_NETLINK): errno ${this.openErrno}`);
    }
    this.opened++;
    return new FakeSocket(this);
  };

  /** reply finds the answer to `request`; undefined (and recorded) when there is none. */
  reply(request: Buffer): { datagrams: Buffer[]; fault?: Fault } | undefined {
    const queue = this.#answers.get(keyOf(request));
    const next = queue && queue.length > 1 ? queue.shift() : queue?.[0];
    if (!next) {
      this.unanswered.push(request.toString("hex"));
      return undefined;
    }
    this.replayed.push(next.capture.name);
    const live = seqsOf(request);
    const seqs = new Map(seqsOf(next.capture.request).map((captured, i) => [captured, live[i] as number]));
    const datagrams = next.capture.datagrams.map((d) => renumber(d, seqs, live[0] as number));
    return { datagrams, fault: next.fault };
  }
}

/** FakeSocket is the socket surface the readers use (send, sendWaiting, recv, recvMany, close). */
export class FakeSocket implements NetlinkSocket {
  closed = false;
  #queue: Buffer[] = [];
  /** Receives after the queue runs dry fail like SO_RCVTIMEO (or with this errno). */
  #stall: Fault | undefined;
  /** Ends a receive that waits for the kernel ("hang") when the socket is closed. */
  #hung: (() => void) | undefined;

  constructor(readonly kernel: FakeKernel) {}

  async send(request: Buffer): Promise<void> {
    this.#check();
    const reply = this.kernel.reply(request);
    if (!reply) throw new Error(`fake kernel: no capture answers request ${request.toString("hex")}`);
    const { datagrams, fault } = reply;
    if (fault?.kind === "send-errno") {
      throw new NfpromError(ErrorCodes.SOCKET, `netlink: send: errno ${fault.errno}`, fault.errno);
    }
    const keep =
      fault?.kind === "silent-after"
        ? fault.datagrams
        : fault?.kind === "recv-errno" || fault?.kind === "hang"
          ? 0
          : datagrams.length;
    this.#queue.push(...datagrams.slice(0, keep));
    this.#stall = fault;
  }

  sendWaiting(request: Buffer): Promise<void> {
    return this.send(request);
  }

  async recv(): Promise<Buffer> {
    const [first] = await this.recvMany(1);
    return first as Buffer;
  }

  async recvMany(max = this.kernel.batch): Promise<Buffer[]> {
    this.#check();
    await Promise.resolve(); // a real receive never answers synchronously
    if (this.#queue.length > 0) return this.#queue.splice(0, max);
    if (this.#stall?.kind !== "hang") throw this.#silence();
    return new Promise((_, reject) => {
      this.#hung = () => reject(new NfpromError(ErrorCodes.SOCKET, "netlink: socket closed during recv"));
    });
  }

  close(): void {
    this.closed = true;
    this.#hung?.();
  }

  #silence(): NfpromError {
    if (this.#stall?.kind === "recv-errno") {
      const errno = this.#stall.errno;
      return new NfpromError(ErrorCodes.SOCKET, `netlink: recvmmsg: errno ${errno}`, errno);
    }
    return new NfpromError(ErrorCodes.TIMEOUT, "netlink: no reply from the kernel", 11);
  }

  #check(): void {
    if (this.closed) throw new NfpromError(ErrorCodes.SOCKET, "netlink: socket is closed");
  }
}
