// Clients that ask for a page and never read the answer, for system tests, run inside a network namespace
// (via `ip netns exec`). Each of --connections TCP sockets gets SO_RCVBUF --rcvbuf before connect (so the
// kernel cannot absorb the answer for it either), connects to 127.0.0.1:--port, sends one
// `GET --path HTTP/1.1` and then reads nothing. Node's sockets cannot set SO_RCVBUF before connecting:
// these are made with libc's socket/setsockopt/connect through koffi.
//
//   node dist/test/system/stalled-clients.js --port N [--connections 60] [--path /metrics]
//        [--rcvbuf 1024] [--hold-ms 20000] [--header "Authorization: Basic ..."]
//
// Prints `{"connected":N}` on stdout once every request is sent, holds the sockets for --hold-ms, then
// closes them and exits 0.
import koffi from "koffi";
import { libc } from "../../src/libc.js";

const socket = libc.func("int socket(int domain, int type, int protocol)");
const setsockopt = libc.func("int setsockopt(int fd, int level, int name, int *value, unsigned int len)");
const connect = libc.func("int connect(int fd, const uint8_t *addr, unsigned int len)");
const send = libc.func("intptr_t send(int fd, const uint8_t *buf, uintptr_t len, int flags)");
const close = libc.func("int close(int fd)");

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function sockaddr(port: number): Buffer {
  // struct sockaddr_in: family (host order), port (network order), 127.0.0.1, 8 bytes of zeros.
  const addr = Buffer.alloc(16);
  addr.writeUInt16LE(AF_INET, 0);
  addr.writeUInt16BE(port, 2);
  addr.set([127, 0, 0, 1], 4);
  return addr;
}

function open(port: number, rcvbuf: number, request: Buffer): number {
  const fd = socket(AF_INET, SOCK_STREAM, 0) as number;
  if (fd < 0) throw new Error(`socket: errno ${koffi.errno()}`);
  if ((setsockopt(fd, SOL_SOCKET, SO_RCVBUF, [rcvbuf], 4) as number) !== 0)
    throw new Error(`setsockopt: errno ${koffi.errno()}`);
  const addr = sockaddr(port);
  if ((connect(fd, addr, addr.length) as number) !== 0) throw new Error(`connect: errno ${koffi.errno()}`);
  if ((send(fd, request, request.length, 0) as number) !== request.length)
    throw new Error(`send: errno ${koffi.errno()}`);
  return fd;
}

function main(): void {
  // `node --test dist/test/` treats every .js file below a directory named `test` as a test file: be harmless.
  if (process.argv.length <= 2) return;
  const port = Number(option("port", "0"));
  const header = option("header", "");
  const request = Buffer.from(
    `GET ${option("path", "/metrics")} HTTP/1.1\r\nHost: 127.0.0.1\r\n${header ? `${header}\r\n` : ""}\r\n`,
  );
  const fds = Array.from({ length: Number(option("connections", "60")) }, () =>
    open(port, Number(option("rcvbuf", "1024")), request),
  );
  process.stdout.write(`${JSON.stringify({ connected: fds.length })}\n`);
  setTimeout(
    () => {
      for (const fd of fds) close(fd);
    },
    Number(option("hold-ms", "20000")),
  );
}

main();
