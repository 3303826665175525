// Fixtures for the web-side system tests: a CA, server and client certificates made with openssl at test
// time, bcrypt hashes, web config files, and small in-namespace clients the harness's scrape.js does not
// cover (a burst of concurrent requests, a client that never finishes its headers).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { type Netns, run } from "./harness.js";

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
}

async function openssl(args: string[]): Promise<void> {
  const r = await run("openssl", args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

async function keyAndCsr(dir: string, name: string, cn: string): Promise<void> {
  const key = join(dir, `${name}.key`);
  await openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    join(dir, `${name}.csr`),
    "-subj",
    `/CN=${cn}`,
  ]);
}

async function selfSigned(dir: string, name: string): Promise<void> {
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl([
    ...args,
    "-keyout",
    join(dir, `${name}.key`),
    "-out",
    join(dir, `${name}.crt`),
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
}

async function sign(dir: string, name: string, ca: string, ext: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  await openssl([
    "x509",
    "-req",
    "-in",
    join(dir, `${name}.csr`),
    "-CA",
    join(dir, `${ca}.crt`),
    "-CAkey",
    join(dir, `${ca}.key`),
    "-CAcreateserial",
    "-out",
    join(dir, `${name}.crt`),
    "-days",
    "2",
    "-extfile",
    join(dir, `${name}.ext`),
  ]);
}

/** makePki creates a CA, a server certificate for localhost/127.0.0.1/::1 and client certificates in dir. */
export async function makePki(dir: string): Promise<Pki> {
  await selfSigned(dir, "ca");
  await selfSigned(dir, "otherca");
  await keyAndCsr(dir, "server", "localhost");
  await sign(dir, "server", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1");
  await keyAndCsr(dir, "client", "prometheus");
  await sign(dir, "client", "ca", "subjectAltName=DNS:prometheus.test\nextendedKeyUsage=clientAuth");
  await keyAndCsr(dir, "stranger", "stranger");
  await sign(dir, "stranger", "otherca", "extendedKeyUsage=clientAuth");
  const f = (n: string) => join(dir, n);
  return {
    dir,
    ca: f("ca.crt"),
    serverCert: f("server.crt"),
    serverKey: f("server.key"),
    clientCert: f("client.crt"),
    clientKey: f("client.key"),
    strangerCert: f("stranger.crt"),
    strangerKey: f("stranger.key"),
  };
}

/** bcryptHash: cost 10, as htpasswd -B makes them, so the tests pay what users pay. */
export function bcryptHash(password: string): string {
  return bcrypt.hashSync(password, 10);
}

export function basicAuth(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** writeWebConfig writes YAML text to dir/name and returns its path. */
export function writeWebConfig(dir: string, name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

export interface BurstResult {
  statuses: Record<string, number>;
  errors: string[];
  ms: number;
}

/**
 * burst sends `n` concurrent GETs to url from inside the namespace (one process, one socket each) and
 * reports the status counts; every request has `timeoutMs` to finish, a hang shows up as an error.
 */
export async function burst(ns: Netns, url: string, n: number, timeoutMs: number): Promise<BurstResult> {
  const script = `
const http = require("node:http");
const t0 = Date.now();
const statuses = {}, errors = [];
const one = () => new Promise((resolve) => {
  const req = http.get(${JSON.stringify(url)}, { agent: false, timeout: ${timeoutMs} }, (res) => {
    res.resume();
    res.on("end", () => { statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; resolve(); });
  });
  req.on("timeout", () => { errors.push("timeout"); req.destroy(); });
  req.on("error", (e) => { errors.push(e.message); resolve(); });
});
Promise.all(Array.from({ length: ${n} }, one)).then(() => console.log(JSON.stringify({ statuses, errors, ms: Date.now() - t0 })));
`;
  const r = await ns.exec(process.execPath, ["-e", script], { timeoutMs: timeoutMs + 10_000 });
  if (r.code !== 0) throw new Error(`burst failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as BurstResult;
}

/**
 * slowClient connects, sends the request line and one header, then nothing more; resolves with the time
 * until the server closes the connection and what it sent back.
 */
export async function slowClient(
  ns: Netns,
  host: string,
  port: number,
  giveUpMs: number,
): Promise<{ closedAfterMs: number; response: string }> {
  const script = `
const net = require("node:net");
const t0 = Date.now();
let response = "";
const s = net.connect(${port}, ${JSON.stringify(host)}, () => s.write("GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n"));
s.setEncoding("utf8");
s.on("data", (d) => { response += d; });
const done = () => { console.log(JSON.stringify({ closedAfterMs: Date.now() - t0, response })); process.exit(0); };
s.on("close", done);
s.on("error", () => {});
setTimeout(() => { console.log(JSON.stringify({ closedAfterMs: -1, response })); process.exit(0); }, ${giveUpMs});
`;
  const r = await ns.exec(process.execPath, ["-e", script], { timeoutMs: giveUpMs + 10_000 });
  return JSON.parse(r.stdout) as { closedAfterMs: number; response: string };
}
