// Minimal HTTP(S) client for system tests, run inside a network namespace (via `ip netns exec`) because the
// test process itself lives in the root namespace and cannot reach the exporter's loopback.
//
//   node dist/test/system/scrape.js URL [--header 'Name: value']... [--method GET] [--timeout-ms 10000]
//        [--retry-until-ms N] [--insecure] [--ca FILE] [--cert FILE --key FILE] [--data STRING]
//
// Output on stdout (success, any HTTP status):
//   line 1: "HTTP/<version> <status> <message>"
//   line 2: JSON {"headers": {...lower-cased, as node parses them}, "rawHeaders": [...]}
//   rest:   the body, raw bytes (not decompressed)
// Exit codes: 0 got a response, 2 bad arguments, 3 connection error (after --retry-until-ms), 4 timeout.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

interface Options {
  url: URL;
  method: string;
  headers: [string, string][];
  timeoutMs: number;
  retryUntilMs: number;
  insecure: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  data?: string;
}

function usage(msg: string): never {
  process.stderr.write(
    `scrape: ${msg}\nusage: scrape.js URL [--header 'k: v'] [--method M] [--timeout-ms N] [--retry-until-ms N] [--insecure] [--ca F] [--cert F --key F] [--data S]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  let url: URL | undefined;
  const o: Omit<Options, "url"> = {
    method: "GET",
    headers: [],
    timeoutMs: 10000,
    retryUntilMs: 0,
    insecure: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("--")) {
      if (url !== undefined) usage(`unexpected argument ${a}`);
      try {
        url = new URL(a);
      } catch {
        usage(`bad URL ${a}`);
      }
      continue;
    }
    if (a === "--insecure") {
      o.insecure = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) usage(`missing value for ${a}`);
    switch (a) {
      case "--header": {
        const colon = v.indexOf(":");
        if (colon <= 0) usage(`--header needs 'Name: value', got ${JSON.stringify(v)}`);
        o.headers.push([v.slice(0, colon).trim(), v.slice(colon + 1).trim()]);
        break;
      }
      case "--method":
        o.method = v;
        break;
      case "--timeout-ms":
        o.timeoutMs = Number(v);
        break;
      case "--retry-until-ms":
        o.retryUntilMs = Number(v);
        break;
      case "--ca":
        o.ca = readFileSync(v);
        break;
      case "--cert":
        o.cert = readFileSync(v);
        break;
      case "--key":
        o.key = readFileSync(v);
        break;
      case "--data":
        o.data = v;
        break;
      default:
        usage(`unknown flag ${a}`);
    }
  }
  if (url === undefined) usage("URL is required");
  if (!Number.isFinite(o.timeoutMs) || !Number.isFinite(o.retryUntilMs)) usage("bad number");
  return { url, ...o };
}

class Timeout extends Error {}

function once(o: Options): Promise<{ res: http.IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const mod = o.url.protocol === "https:" ? https : http;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of o.headers) {
      const prev = headers[k];
      headers[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
    }
    const req = mod.request(o.url, {
      method: o.method,
      headers,
      agent: false,
      rejectUnauthorized: !o.insecure,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.key ? { key: o.key } : {}),
    });
    req.setTimeout(o.timeoutMs, () => req.destroy(new Timeout(`no response within ${o.timeoutMs} ms`)));
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ res, body: Buffer.concat(chunks) }));
    });
    req.end(o.data);
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // `node --test dist/test/` treats every .js file below a directory named `test` as a test file: be harmless.
  if (argv.length === 0 && process.env.NODE_TEST_CONTEXT !== undefined) return;
  const o = parseArgs(argv);
  const deadline = Date.now() + o.retryUntilMs;
  for (;;) {
    try {
      const { res, body } = await once(o);
      const head = `HTTP/${res.httpVersion} ${res.statusCode ?? 0} ${res.statusMessage ?? ""}\n${JSON.stringify(
        {
          headers: res.headers,
          rawHeaders: res.rawHeaders,
        },
      )}\n`;
      process.stdout.write(Buffer.concat([Buffer.from(head), body]), () => process.exit(0));
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e instanceof Timeout) {
        process.stderr.write(`scrape: timeout: ${e.message}\n`);
        process.exit(4);
      }
      if (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      process.stderr.write(`scrape: error ${e.code ?? ""} ${e.message}\n`);
      process.exit(3);
    }
  }
}

void main();
