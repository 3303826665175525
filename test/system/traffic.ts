// Traffic generator for system tests. Runs inside a network namespace (via `ip netns exec`), listens on
// host:port, sends exactly `--bytes` payload bytes to itself over TCP (one connection) or UDP (datagrams of at
// most `--datagram` bytes), waits until the listener has received all of them and exits.
//
//   node dist/test/system/traffic.js --proto tcp|udp --host 127.0.0.1|::1 --port N --bytes N
//                                    [--datagram 1200] [--timeout-ms 15000]
//
// Prints one JSON line on stdout: {"proto","host","port","bytes","received","datagrams","connections"}.
// Exit 0 when everything arrived, 1 on timeout or socket error, 2 on bad arguments.
import dgram from "node:dgram";
import net from "node:net";

interface Options {
  proto: "tcp" | "udp";
  host: string;
  port: number;
  bytes: number;
  datagram: number;
  timeoutMs: number;
}

export interface TrafficReport {
  proto: "tcp" | "udp";
  host: string;
  port: number;
  bytes: number;
  received: number;
  datagrams: number;
  connections: number;
}

function usage(msg: string): never {
  process.stderr.write(
    `traffic: ${msg}\nusage: traffic.js --proto tcp|udp --host HOST --port N --bytes N [--datagram N] [--timeout-ms N]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    proto: "tcp",
    host: "127.0.0.1",
    port: 0,
    bytes: 0,
    datagram: 1200,
    timeoutMs: 15000,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) usage(`missing value for ${flag}`);
    i++;
    const int = (): number => {
      if (!/^\d+$/.test(value)) usage(`${flag} needs a non-negative integer, got ${JSON.stringify(value)}`);
      return Number(value);
    };
    switch (flag) {
      case "--proto":
        if (value !== "tcp" && value !== "udp") usage(`--proto must be tcp or udp`);
        opts.proto = value;
        break;
      case "--host":
        opts.host = value;
        break;
      case "--port":
        opts.port = int();
        break;
      case "--bytes":
        opts.bytes = int();
        break;
      case "--datagram":
        opts.datagram = int();
        break;
      case "--timeout-ms":
        opts.timeoutMs = int();
        break;
      default:
        usage(`unknown flag ${flag}`);
    }
  }
  if (opts.port <= 0 || opts.port > 65535) usage("--port is required (1..65535)");
  if (opts.datagram < 1 || opts.datagram > 65000) usage("--datagram must be 1..65000");
  return opts;
}

function finish(report: TrafficReport, ok: boolean, why?: string): never {
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (!ok) process.stderr.write(`traffic: ${why ?? "failed"}\n`);
  process.exit(ok ? 0 : 1);
}

function runTcp(o: Options, report: TrafficReport): void {
  const server = net.createServer((sock) => {
    report.connections++;
    sock.on("data", (chunk: Buffer) => {
      report.received += chunk.length;
    });
    sock.on("error", (err) => finish(report, false, `server socket: ${err.message}`));
    sock.on("end", () => {
      sock.end();
      if (report.received === o.bytes) {
        server.close();
        finish(report, true);
      } else {
        finish(report, false, `received ${report.received} of ${o.bytes} bytes`);
      }
    });
  });
  server.on("error", (err) => finish(report, false, `listen ${o.host}:${o.port}: ${err.message}`));
  server.listen({ port: o.port, host: o.host, exclusive: true }, () => {
    const client = net.connect({ port: o.port, host: o.host }, () => {
      client.end(Buffer.alloc(o.bytes, 0x6e));
    });
    client.on("error", (err) => finish(report, false, `client: ${err.message}`));
    client.resume();
  });
}

function runUdp(o: Options, report: TrafficReport): void {
  const type = net.isIPv6(o.host) ? "udp6" : "udp4";
  const server = dgram.createSocket(type);
  const client = dgram.createSocket(type);
  let sentDatagrams = 0;
  let wake: (() => void) | undefined;
  server.on("message", (msg: Buffer) => {
    report.received += msg.length;
    report.datagrams++;
    if (report.received === o.bytes) finish(report, true);
    wake?.();
  });
  server.on("error", (err) => finish(report, false, `listen ${o.host}:${o.port}: ${err.message}`));
  client.on("error", (err) => finish(report, false, `client: ${err.message}`));
  server.bind(o.port, o.host, async () => {
    if (o.bytes === 0) finish(report, true);
    let remaining = o.bytes;
    while (remaining > 0) {
      // Keep at most 32 datagrams in flight so the listener's receive buffer never overflows.
      while (sentDatagrams - report.datagrams > 32) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const size = Math.min(o.datagram, remaining);
      remaining -= size;
      await new Promise<void>((resolve, reject) => {
        client.send(Buffer.alloc(size, 0x75), o.port, o.host, (err) => (err ? reject(err) : resolve()));
      }).catch((err: Error) => finish(report, false, `send: ${err.message}`));
      sentDatagrams++;
    }
  });
}

function main(): void {
  const argv = process.argv.slice(2);
  // `node --test dist/test/` treats every .js file below a directory named `test` as a test file: be harmless.
  if (argv.length === 0 && process.env.NODE_TEST_CONTEXT !== undefined) return;
  const o = parseArgs(argv);
  const report: TrafficReport = {
    proto: o.proto,
    host: o.host,
    port: o.port,
    bytes: o.bytes,
    received: 0,
    datagrams: 0,
    connections: 0,
  };
  setTimeout(
    () => finish(report, false, `timeout after ${o.timeoutMs} ms: received ${report.received} of ${o.bytes}`),
    o.timeoutMs,
  );
  if (o.proto === "tcp") runTcp(o, report);
  else runUdp(o, report);
}

main();
