import koffi from "koffi";
import { util } from "../builtins.js";
import { monotonicMs } from "../clock.js";
import { ErrorCodes, NfpromError } from "../errors.js";
import { libc } from "../libc.js";
import { hostU32, writeHostI32, writeHostI64, writeHostU32, writeHostU64 } from "./byteorder.js";
import {
  AF_NETLINK,
  EAGAIN,
  EINTR,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_NETFILTER,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
} from "./constants.js";
import { errnoName } from "./message.js";
import { inNetns, type NetnsRef } from "./netns.js";

const { debuglog } = util;

const debug = debuglog("nfprom");

/**
 * Receive buffer size. The kernel sizes dump datagrams from the caller's buffer and caps them near 32 KiB
 * (net/netlink/af_netlink.c, netlink_dump: max_recvmsg_len, 32 KiB - skb overhead); 64 KiB leaves room.
 */
export const RECV_BUFFER_SIZE = 64 * 1024;
const MSG_TRUNC = 0x20;
const MSG_WAITFORONE = 0x10000;
const MSG_DONTWAIT = 0x40;
/** The longest a receive may block the event loop before a socket's receives go to the worker thread. */
const QUICK_CALL_MS = 0.5;
/**
 * Datagrams one recvMany() call can return: each koffi async call costs the event loop, and with recvmmsg
 * the kernel builds a dump's next datagrams inside the same call (docs/design-notes.md).
 */
export const RECV_BATCH = 8;

const sys = {
  socket: libc.func("int socket(int domain, int type, int protocol)"),
  setsockopt: libc.func("int setsockopt(int fd, int level, int name, const void *val, uint32_t len)"),
  send: libc.func("long send(int fd, const void *buf, size_t len, int flags)"),
  recv: libc.func("long recv(int fd, void *buf, size_t len, int flags)"),
  recvmmsg: libc.func("int recvmmsg(int fd, void *msgvec, unsigned int vlen, int flags, void *timeout)"),
  close: libc.func("int close(int fd)"),
};

type AsyncCall = (...args: unknown[]) => void;

/** callAsync runs a libc call on koffi's worker thread, so the kernel's work never blocks the event loop. */
function callAsync(fn: unknown, ...args: unknown[]): Promise<{ result: number; errno: number }> {
  return new Promise((resolve, reject) => {
    (fn as { async: AsyncCall }).async(...args, (err: unknown, result: number | bigint) => {
      if (err) reject(err);
      else resolve({ result: Number(result), errno: Number(result) < 0 ? koffi.errno() : 0 });
    });
  });
}

/** struct iovec and struct mmsghdr (with its struct msghdr), laid out by koffi for this platform. */
const iovec = koffi.struct("nfprom_iovec", { base: "void *", len: "size_t" });
const msghdr = koffi.struct("nfprom_msghdr", {
  name: "void *",
  namelen: "uint32_t",
  iov: "void *",
  iovlen: "size_t",
  control: "void *",
  controllen: "size_t",
  flags: "int",
});
const mmsghdr = koffi.struct("nfprom_mmsghdr", { hdr: msghdr, len: "uint32_t" });
const LAYOUT = {
  iovec: koffi.sizeof(iovec),
  iovLen: koffi.offsetof(iovec, "len"),
  mmsghdr: koffi.sizeof(mmsghdr),
  msgIov: koffi.offsetof(msghdr, "iov"),
  msgIovLen: koffi.offsetof(msghdr, "iovlen"),
  msgLen: koffi.offsetof(mmsghdr, "len"),
  word: koffi.sizeof("size_t"),
};

/**
 * BatchBuffers: RECV_BATCH receive slots and the mmsghdr/iovec arrays recvmmsg reads, which hold the slots'
 * addresses. All of it is Node memory (never moved, freed only when unreferenced), so a datagram view
 * handed out stays readable whatever happens to the socket.
 */
class BatchBuffers {
  readonly data = Buffer.allocUnsafeSlow(RECV_BATCH * RECV_BUFFER_SIZE);
  readonly headers = Buffer.alloc(RECV_BATCH * LAYOUT.mmsghdr);
  readonly #iovecs = Buffer.alloc(RECV_BATCH * LAYOUT.iovec);

  constructor() {
    const data = koffi.address(this.data);
    const iovecs = koffi.address(this.#iovecs);
    for (let i = 0; i < RECV_BATCH; i++) {
      const iov = i * LAYOUT.iovec;
      writeWord(this.#iovecs, iov, data + BigInt(i * RECV_BUFFER_SIZE));
      writeWord(this.#iovecs, iov + LAYOUT.iovLen, BigInt(RECV_BUFFER_SIZE));
      const hdr = i * LAYOUT.mmsghdr;
      writeWord(this.headers, hdr + LAYOUT.msgIov, iovecs + BigInt(iov));
      writeWord(this.headers, hdr + LAYOUT.msgIovLen, 1n);
    }
  }

  /** datagrams returns views of the first `count` slots, as long as the kernel said each one is. */
  datagrams(count: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const at = i * LAYOUT.mmsghdr + LAYOUT.msgLen;
      const len = hostU32(this.headers, at);
      if (len > RECV_BUFFER_SIZE) {
        throw new NfpromError(ErrorCodes.DECODE, `netlink: datagram of ${len} bytes truncated`);
      }
      out.push(this.data.subarray(i * RECV_BUFFER_SIZE, i * RECV_BUFFER_SIZE + len));
    }
    return out;
  }
}

/** writeWord stores a pointer or size_t in host order. */
function writeWord(buf: Buffer, at: number, value: bigint): void {
  if (LAYOUT.word === 8) writeHostU64(buf, value, at);
  else writeHostU32(buf, Number(value), at);
}

/** NetlinkSocketOptions: protocol, the bound on one blocking receive, and the network namespace. */
export interface NetlinkSocketOptions {
  protocol: number;
  /** SO_RCVTIMEO: a recv that waits longer fails with NFPROM_TIMEOUT instead of hanging a worker thread. */
  recvTimeoutMs: number;
  /** Open the socket in this network namespace (netns.ts); absent: the process's own. */
  netns?: NetnsRef;
}

/**
 * NetlinkSocket is what the readers need of a netlink socket (like mdlayher/netlink's Socket): the real
 * one (RawNetlinkSocket), or in tests a fake kernel replaying captured dumps (test/unit/helpers).
 */
export interface NetlinkSocket {
  readonly closed: boolean;
  /** send writes one request; the kernel handles it inside the call (a dump's first datagram too). */
  send(request: Buffer): Promise<void>;
  /** sendWaiting is send for a request the kernel may hold long (the commit barrier), off the event loop. */
  sendWaiting(request: Buffer): Promise<void>;
  /** recv returns the next datagram, valid until the second recv() after it. */
  recv(): Promise<Buffer>;
  /** recvMany returns the next datagram and those queued behind it, valid until the second call after. */
  recvMany(): Promise<Buffer[]>;
  close(): void;
}

/** SocketOpener makes a reader's socket: RawNetlinkSocket.open, or a test's fake kernel. */
export type SocketOpener = (options: NetlinkSocketOptions) => NetlinkSocket;

/**
 * RawNetlinkSocket is a raw AF_NETLINK datagram socket driven through libc. send() and recv() run on koffi's
 * thread pool. The buffer recv() returns stays valid until the second recv() after it, so a caller may
 * ask for the next datagram before it decodes the current one.
 * Once closed (or after an error mid-dump) the socket must not be used again; open a new one.
 */
export class RawNetlinkSocket implements NetlinkSocket {
  readonly #fd: number;
  /** Two receive buffers, used in turn, so one datagram can be decoded while the next is received. */
  readonly #bufs = [Buffer.alloc(RECV_BUFFER_SIZE), Buffer.alloc(RECV_BUFFER_SIZE)];
  #turn = 0;
  /** The same for recvMany(), allocated on its first use (dumps only). */
  readonly #batches: BatchBuffers[] = [];
  #batchTurn = 0;
  /** recvMany receives on the event loop while this request's calls stay cheap (see #quickBatch). */
  #quick = true;
  #busy = false;
  #closeWhenIdle = false;
  closed = false;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** open creates the socket; failure (e.g. EPROTONOSUPPORT without nfnetlink) throws NFPROM_SOCKET. */
  static open(options: NetlinkSocketOptions): RawNetlinkSocket {
    const create = () => {
      const fd = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, options.protocol) as number;
      // errno is taken here: in another namespace, the setns(2) back home would overwrite it.
      return { fd, errno: fd < 0 ? koffi.errno() : 0 };
    };
    const { fd, errno } = options.netns ? inNetns(options.netns, create) : create();
    if (fd < 0) throw socketError("socket(AF_NETLINK)", errno);
    const sock = new RawNetlinkSocket(fd);
    try {
      sock.#setInt(SOL_SOCKET, SO_RCVBUF, RECV_BUFFER_SIZE * 4);
      sock.#setInt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
      sock.#setInt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      const timeval = Buffer.alloc(16);
      const seconds = BigInt(Math.floor(options.recvTimeoutMs / 1000));
      const micros = BigInt((options.recvTimeoutMs % 1000) * 1000);
      writeHostI64(timeval, seconds, 0);
      writeHostI64(timeval, micros, 8);
      sock.#setsockopt(SOL_SOCKET, SO_RCVTIMEO, timeval);
    } catch (err) {
      sock.close();
      throw err;
    }
    return sock;
  }

  /**
   * send writes one request datagram, synchronously: the kernel handles a request inside send (a lookup,
   * or the first datagram of a dump, ≤ 32 KiB of it), which costs less than a round trip through koffi's
   * thread (docs/design-notes.md).
   */
  async send(request: Buffer): Promise<void> {
    debug("send %d bytes: %s", request.length, request.toString("hex"));
    this.#checkFree();
    this.#quick = true; // a new request: its first receives are cheap until one is not
    for (;;) {
      const result = Number(sys.send(this.#fd, request, request.length, 0));
      if (result >= 0) return;
      const errno = koffi.errno();
      if (errno !== EINTR) throw socketError("send", errno);
    }
  }

  /**
   * sendWaiting writes one request on koffi's worker thread: for a request the kernel may hold inside the
   * send for long (the commit barrier waits there for another process's transaction), so that the event
   * loop never does.
   */
  async sendWaiting(request: Buffer): Promise<void> {
    debug("send (waiting) %d bytes: %s", request.length, request.toString("hex"));
    this.#quick = true;
    for (;;) {
      const { result, errno } = await this.#exclusive(() =>
        callAsync(sys.send, this.#fd, request, request.length, 0),
      );
      if (result >= 0) return;
      if (errno !== EINTR) throw socketError("send", errno);
    }
  }

  /**
   * recv waits for the next datagram and returns a view of it. Interrupted waits are retried; a wait longer
   * than recvTimeoutMs throws NFPROM_TIMEOUT; a datagram larger than the buffer throws NFPROM_DECODE.
   */
  async recv(): Promise<Buffer> {
    for (;;) {
      this.#turn ^= 1;
      const buf = this.#bufs[this.#turn] as Buffer;
      const { result, errno } = await this.#exclusive(() =>
        callAsync(sys.recv, this.#fd, buf, buf.length, MSG_TRUNC),
      );
      if (result >= 0) {
        if (result > buf.length) {
          throw new NfpromError(ErrorCodes.DECODE, `netlink: datagram of ${result} bytes truncated`);
        }
        debug("recv %d bytes", result);
        return buf.subarray(0, result);
      }
      if (errno !== EINTR) throw receiveError("recv", errno);
    }
  }

  /**
   * recvMany waits for the next datagram and returns it with those that follow it at once, up to
   * RECV_BATCH (recvmmsg, MSG_WAITFORONE): during a dump, the kernel builds them within the call. Errors
   * and the views' lifetime are recv()'s: valid until the second recvMany() after this one.
   */
  async recvMany(): Promise<Buffer[]> {
    for (;;) {
      this.#batchTurn ^= 1;
      this.#batches[this.#batchTurn] ??= new BatchBuffers();
      const batch = this.#batches[this.#batchTurn] as BatchBuffers;
      const quick = this.#quickBatch(batch);
      if (quick) return quick;
      const { result, errno } = await this.#exclusive(() =>
        callAsync(sys.recvmmsg, this.#fd, batch.headers, RECV_BATCH, MSG_WAITFORONE | MSG_TRUNC, null),
      );
      if (result >= 0) {
        debug("recvmmsg %d datagrams", result);
        return batch.datagrams(result);
      }
      if (errno !== EINTR) throw receiveError("recvmmsg", errno);
    }
  }

  /**
   * #quickBatch receives a batch on the event loop (MSG_DONTWAIT) while the kernel's calls on this socket
   * are cheap: a dump's datagrams are built inside the receiving call, so they are always there, and a
   * small dump then costs no trip through koffi's worker thread (docs/design-notes.md). Once a call takes
   * longer than QUICK_CALL_MS (a large chain: the kernel re-walks it for every datagram), the rest of that
   * request's receives wait on the worker thread, and the event loop stays free.
   * Returns undefined when the slow path must run (nothing queued yet, or not cheap); a socket error throws.
   */
  #quickBatch(batch: BatchBuffers): Buffer[] | undefined {
    if (!this.#quick) return undefined;
    this.#checkFree();
    const started = monotonicMs();
    const result = sys.recvmmsg(
      this.#fd,
      batch.headers,
      RECV_BATCH,
      MSG_DONTWAIT | MSG_TRUNC,
      null,
    ) as number;
    if (monotonicMs() - started > QUICK_CALL_MS) this.#quick = false;
    if (result < 0) {
      // Nothing queued yet: wait on the worker thread. A real error is the socket's, reported once: now.
      const errno = koffi.errno();
      if (errno === EAGAIN || errno === EINTR) return undefined;
      throw receiveError("recvmmsg", errno);
    }
    if (result === 0) return undefined;
    debug("recvmmsg %d datagrams (quick)", result);
    return batch.datagrams(result);
  }

  /** close releases the descriptor, deferred until an in-flight call returns (never close under a call). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#busy) this.#closeWhenIdle = true;
    else sys.close(this.#fd);
  }

  /** #checkFree refuses a call on a closed socket, or while another call is in flight on it. */
  #checkFree(): void {
    if (this.closed) throw new NfpromError(ErrorCodes.SOCKET, "netlink: socket is closed");
    if (this.#busy) throw new NfpromError(ErrorCodes.SOCKET, "netlink: socket is in use");
  }

  async #exclusive<T>(call: () => Promise<T>): Promise<T> {
    this.#checkFree();
    this.#busy = true;
    try {
      return await call();
    } finally {
      this.#busy = false;
      if (this.#closeWhenIdle) {
        this.#closeWhenIdle = false;
        sys.close(this.#fd);
      }
    }
  }

  #setInt(level: number, name: number, value: number): void {
    const b = Buffer.alloc(4);
    writeHostI32(b, value, 0);
    this.#setsockopt(level, name, b);
  }

  #setsockopt(level: number, name: number, value: Buffer): void {
    if ((sys.setsockopt(this.#fd, level, name, value, value.length) as number) < 0) {
      throw socketError(`setsockopt(${level}, ${name})`, koffi.errno());
    }
  }
}

function receiveError(op: string, errno: number): NfpromError {
  if (errno === EAGAIN)
    return new NfpromError(ErrorCodes.TIMEOUT, "netlink: no reply from the kernel", errno);
  return socketError(op, errno);
}

function socketError(op: string, errno: number): NfpromError {
  return new NfpromError(ErrorCodes.SOCKET, `netlink: ${op}: ${errnoName(errno)}`, errno);
}

/** netfilterSocket: the options of a reader's NETLINK_NETFILTER socket, in its network namespace. */
export function netfilterSocket(options: { recvTimeoutMs: number; netns?: NetnsRef }): NetlinkSocketOptions {
  const { recvTimeoutMs, netns } = options;
  return { protocol: NETLINK_NETFILTER, recvTimeoutMs, ...(netns !== undefined && { netns }) };
}

/**
 * SocketSlot holds the netlink socket a reader uses call after call: opened on first use, and given up
 * after any failed or abandoned call, because the kernel would answer the next dump on it with EBUSY.
 * Only the failing call's own socket is given up: an abandoned call may fail after the next one opened
 * another.
 */
export class SocketSlot {
  #sock: NetlinkSocket | undefined;

  constructor(
    readonly options: NetlinkSocketOptions,
    readonly open: SocketOpener = RawNetlinkSocket.open,
  ) {}

  async use<T>(fn: (sock: NetlinkSocket) => Promise<T>): Promise<T> {
    if (!this.#sock || this.#sock.closed) this.#sock = this.open(this.options);
    const sock = this.#sock;
    try {
      return await fn(sock);
    } catch (err) {
      if (this.#sock === sock) this.#sock = undefined;
      sock.close();
      throw err;
    }
  }

  /** close gives the socket up now (a call still running on it ends there); the next use opens another. */
  close(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }
}
