// A deliberately slow HTTP client for system tests, run inside a network namespace (via `ip netns exec`).
// Opens --connections TCP connections to host:port, writes --send on each (e.g. a partial request header), and
// then nothing — or, with --finish-after-ms N, writes --finish N ms later. Waits until every connection is
// closed by the server or --max-ms has passed.
//
//   node dist/test/system/slow-client.js --host 127.0.0.1 --port N [--send TEXT] [--finish TEXT]
//        [--finish-after-ms N] [--connections 1] [--max-ms 10000]
//
// TEXT may use \r and \n escapes. Prints one JSON line on stdout:
//   {"connections":[{"closed":true,"closedAfterMs":1012,"received":"HTTP/1.1 408 ..."}, ...]}
// (closedAfterMs counts from the moment the connection was established). Exit 0, or 2 on bad arguments,
// 3 when a connection could not be established.
import net from "node:net";

interface Options {
  host: string;
  port: number;
  send: string;
  finish: string | undefined;
  finishAfterMs: number | undefined;
  connections: number;
  maxMs: number;
}

interface ConnReport {
  closed: boolean;
  closedAfterMs: number | null;
  received: string;
}

function usage(msg: string): never {
  process.stderr.write(
    `slow-client: ${msg}\nusage: slow-client.js --host H --port N [--send T] [--finish T] [--finish-after-ms N] [--connections N] [--max-ms N]\n`,
  );
  process.exit(2);
}

const unescapeCrLf = (s: string) => s.replace(/\\r/g, "\r").replace(/\\n/g, "\n");

function parseArgs(argv: string[]): Options {
  const o: Options = {
    host: "127.0.0.1",
    port: 0,
    send: "",
    finish: undefined,
    finishAfterMs: undefined,
    connections: 1,
    maxMs: 10_000,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (v === undefined) usage(`missing value for ${flag}`);
    const int = () => {
      if (!/^\d+$/.test(v)) usage(`${flag} needs a non-negative integer`);
      return Number(v);
    };
    switch (flag) {
      case "--host":
        o.host = v;
        break;
      case "--port":
        o.port = int();
        break;
      case "--send":
        o.send = unescapeCrLf(v);
        break;
      case "--finish":
        o.finish = unescapeCrLf(v);
        break;
      case "--finish-after-ms":
        o.finishAfterMs = int();
        break;
      case "--connections":
        o.connections = int();
        break;
      case "--max-ms":
        o.maxMs = int();
        break;
      default:
        usage(`unknown flag ${flag}`);
    }
  }
  if (o.port < 1 || o.port > 65535) usage("--port is required");
  if ((o.finish === undefined) !== (o.finishAfterMs === undefined)) usage("--finish needs --finish-after-ms");
  return o;
}

function one(o: Options): Promise<ConnReport> {
  return new Promise((resolve, reject) => {
    const report: ConnReport = { closed: false, closedAfterMs: null, received: "" };
    let connectedAt = 0;
    const sock = net.connect({ host: o.host, port: o.port });
    const giveUp = setTimeout(() => {
      sock.destroy();
      resolve(report);
    }, o.maxMs);
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      report.received += d;
    });
    sock.on("error", (err) => {
      if (connectedAt === 0) {
        clearTimeout(giveUp);
        reject(err);
      }
    });
    sock.on("close", () => {
      if (connectedAt === 0 || report.closed) return;
      clearTimeout(giveUp);
      report.closed = true;
      report.closedAfterMs = Date.now() - connectedAt;
      resolve(report);
    });
    sock.on("connect", () => {
      connectedAt = Date.now();
      if (o.send !== "") sock.write(o.send);
      if (o.finish !== undefined) {
        const finish = o.finish;
        setTimeout(() => {
          if (!sock.destroyed) sock.write(finish);
        }, o.finishAfterMs);
      }
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // `node --test dist/test/` treats every .js file below a directory named `test` as a test file: be harmless.
  if (argv.length === 0 && process.env.NODE_TEST_CONTEXT !== undefined) return;
  const o = parseArgs(argv);
  try {
    const connections = await Promise.all(Array.from({ length: o.connections }, () => one(o)));
    process.stdout.write(`${JSON.stringify({ connections })}\n`, () => process.exit(0));
  } catch (err) {
    process.stderr.write(`slow-client: ${(err as Error).message}\n`);
    process.exit(3);
  }
}

void main();
