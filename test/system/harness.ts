// System-test harness: network namespaces, nftables rulesets, loopback traffic, an `nft -j` oracle with exact
// u64 counters, the exporter as a child process, a scraper that runs inside the namespace, an exposition parser,
// promtool, and /proc inspection. Nothing here depends on src/: the exporter is only ever run as a process.
//
// Cleanup: every namespace created here is deleted by `destroy()`, which is registered as an `after` hook
// (of the test context passed to `Netns.create`, or of the enclosing test/file), and again synchronously from
// process 'exit' / SIGINT / SIGTERM handlers. Processes are only ever killed by the PID we spawned them with
// (plus, at destroy time, whatever is still inside the namespace we created — those can only be descendants of
// our own processes).
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import type { TrafficReport } from "./traffic.js";

export type { TrafficReport } from "./traffic.js";

// ---------------------------------------------------------------------------------------------------------------
// Paths

/** Repository root (this file is dist/test/system/harness.js once compiled). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../../", import.meta.url));
/** The exporter's entry point (compiled). */
export const NFPROM_MAIN: string = join(REPO_ROOT, "dist/src/cli/main.js");
export const TRAFFIC_JS: string = fileURLToPath(new URL("./traffic.js", import.meta.url));
export const SCRAPE_JS: string = fileURLToPath(new URL("./scrape.js", import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// Root

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Call first in every integration test: `if (!requireRoot(t)) return;`.
 * Not root: throws when CI=true (integration tests must never skip in CI), otherwise marks the test skipped
 * and returns false.
 */
export function requireRoot(t: TestContext): boolean {
  if (isRoot()) return true;
  if (process.env.CI === "true") {
    throw new Error("this test needs root (ip netns, nft); CI=true forbids skipping it");
  }
  t.skip("needs root");
  return false;
}

/**
 * For test/describe options: `describe("x", { skip: rootSkip() }, ...)`. Returns false as root, "needs root"
 * otherwise; throws (failing the file) when CI=true.
 */
export function rootSkip(): string | false {
  if (isRoot()) return false;
  if (process.env.CI === "true") {
    throw new Error("system tests need root (ip netns, nft); CI=true forbids skipping them");
  }
  return "needs root";
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

export interface ExecResult {
  stdout: string;
  stderr: string;
  stdoutBuf: Buffer;
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExecOptions {
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer;
  /** Kill (SIGKILL, by pid) and reject after this long. Default 30 s. */
  timeoutMs?: number;
  /** Extra environment (merged over process.env; NODE_TEST_CONTEXT is always removed). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Abort: kills the child (by pid) and rejects. */
  signal?: AbortSignal;
}

/** Environment for child processes: ours, minus the test runner's IPC marker, plus `extra`. */
export function childEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Runs a command (in the current namespace) to completion. Rejects on spawn error, timeout or abort. */
export function run(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: childEnv(opts.env),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let failure: Error | undefined;
    const kill = (why: string) => {
      failure ??= new Error(`${cmd} ${args.join(" ")}: ${why}`);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => kill("aborted");
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    child.stdin?.on("error", () => {}); // EPIPE when the child exits without reading its input
    child.on("error", (e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      const stdoutBuf = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString("utf8");
      if (failure) {
        failure.message += stderr ? `\nstderr: ${stderr}` : "";
        reject(failure);
        return;
      }
      resolve({ stdout: stdoutBuf.toString("utf8"), stderr, stdoutBuf, code, signal });
    });
    child.stdin?.end(opts.input);
  });
}

/** Polls `pred` until it returns true; rejects with `what` after timeoutMs. */
export async function waitUntil(
  pred: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? "condition"}`);
    await sleep(opts.intervalMs ?? 25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3 (after "pid (comm) ") is the state; zombies are dead for our purposes.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function killPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Waits for a ChildProcess to exit; SIGKILLs it (by pid) after timeoutMs. Resolves with its exit status. */
function waitExit(
  proc: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      resolve({ code: proc.exitCode, signal: proc.signalCode, killed: false });
      return;
    }
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      proc.kill("SIGKILL");
    }, timeoutMs);
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, killed });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Network namespaces

const liveNamespaces = new Set<Netns>();
let nsCounter = 0;
let handlersInstalled = false;

function cleanupAllSync(): void {
  for (const ns of liveNamespaces) ns.destroySync();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", cleanupAllSync);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      cleanupAllSync();
      // If nobody else handles it, re-raise with the default disposition.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, handler);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, handler);
  }
}

/** Names from `ip netns list`. */
export function listNamespaces(): string[] {
  const out = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n !== "");
}

export function namespaceExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** Every namespace this harness creates is registered here (file name = namespace, content = owner pid). */
export const REGISTRY_DIR = "/run/nfprom-test-netns";

function register(name: string): void {
  mkdirSync(REGISTRY_DIR, { recursive: true });
  writeFileSync(join(REGISTRY_DIR, name), `${process.pid}\n`);
}

function unregister(name: string): void {
  rmSync(join(REGISTRY_DIR, name), { force: true });
}

/**
 * Deletes namespaces that this harness created in test processes which no longer exist (e.g. a run killed with
 * SIGKILL), using the registry in REGISTRY_DIR; namespaces it did not create, or of live processes (concurrent
 * runs), are never touched. Called once per process by `Netns.create`. Returns the names deleted.
 */
export function sweepStaleNamespaces(): string[] {
  const deleted: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(REGISTRY_DIR);
  } catch {
    return deleted;
  }
  for (const name of entries) {
    let owner: number;
    try {
      owner = Number(readFileSync(join(REGISTRY_DIR, name), "utf8").trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(owner) || owner === process.pid || pidAlive(owner)) continue;
    try {
      if (namespaceExists(name)) {
        // Whatever still runs inside was started by the dead test process: stop it so the namespace can go.
        const out = execFileSync("ip", ["netns", "pids", name], { encoding: "utf8" });
        for (const pid of out.split(/\s+/).filter((x) => x !== "")) killPid(Number(pid), "SIGKILL");
        execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
      }
      unregister(name);
      deleted.push(name);
    } catch {
      // busy or already gone; try again next time
    }
  }
  return deleted;
}

export interface NetnsOptions {
  /** Register `destroy` as this test's `after` hook (otherwise node:test's `after`, i.e. enclosing test/file). */
  t?: TestContext;
  /**
   * false: register no node:test hook at all (for plain scripts — bench, demo — where calling node:test's
   * `after()` would start a TAP-printing test root). The exit/signal handlers still clean up. Default true.
   */
  afterHook?: boolean;
}

export class Netns {
  readonly name: string;
  private readonly procs = new Set<ChildProcess>();
  private readonly workdirs = new Set<string>();
  private readonly usedPorts = new Set<number>();
  private destroyed = false;

  private constructor(name: string) {
    this.name = name;
  }

  /** Creates `nfprom-<prefix>-<pid>-<n>` with `lo` up; deleted again by `destroy()` (automatic, see above). */
  static async create(prefix = "t", opts: NetnsOptions = {}): Promise<Netns> {
    const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, "-") || "t";
    const name = `nfprom-${clean}-${process.pid}-${++nsCounter}`;
    installHandlers();
    if (nsCounter === 1) sweepStaleNamespaces();
    const ns = new Netns(name);
    // Register cleanup before the first await so it attaches to the calling test.
    if (opts.t) opts.t.after(() => ns.destroy());
    else if (opts.afterHook !== false) after(() => ns.destroy());
    register(name);
    liveNamespaces.add(ns);
    const add = await run("ip", ["netns", "add", name]);
    if (add.code !== 0) {
      liveNamespaces.delete(ns);
      unregister(name);
      throw new Error(`ip netns add ${name} failed (${add.code}): ${add.stderr}`);
    }
    const lo = await ns.exec("ip", ["link", "set", "lo", "up"]);
    if (lo.code !== 0) {
      await ns.destroy();
      throw new Error(`ip link set lo up in ${name} failed: ${lo.stderr}`);
    }
    return ns;
  }

  /** `ip netns exec NAME cmd args...` to completion. */
  exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertLive();
    return run("ip", ["netns", "exec", this.name, cmd, ...args], opts);
  }

  /** Applies a ruleset with `nft -f -`; throws with nft's message on failure. */
  async nft(ruleset: string): Promise<void> {
    const r = await this.exec("nft", ["-f", "-"], { input: ruleset });
    if (r.code !== 0) {
      throw new Error(
        `nft -f - failed in ${this.name} (${r.code}):\n${r.stderr}\n--- ruleset ---\n${ruleset}`,
      );
    }
  }

  /** Runs `nft ARGS...` (e.g. `["list", "ruleset"]`), returns stdout; throws on failure. */
  async nftCmd(args: readonly string[]): Promise<string> {
    const r = await this.exec("nft", args);
    if (r.code !== 0) throw new Error(`nft ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Replaces rule `handle` of inet firewall accounting (the chain accountingRuleset makes) by `rule`. */
  async replaceAccountingRule(handle: bigint, rule: string): Promise<void> {
    await this.exec("nft", ["-f", "-"], {
      input: `replace rule inet firewall accounting handle ${handle} ${rule}\n`,
    }).then((r) => {
      if (r.code !== 0) throw new Error(`nft replace rule ${handle} failed (${r.code}): ${r.stderr}`);
    });
  }

  /**
   * Starts a long-running process inside the namespace. `ip netns exec` execs, so `child.pid` is the program's
   * own pid. Tracked: `destroy()` stops it (SIGTERM, then SIGKILL) if still running. Default stdio: pipes.
   */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    this.assertLive();
    const child = spawn("ip", ["netns", "exec", this.name, cmd, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...opts,
      env: childEnv(opts.env),
    });
    this.procs.add(child);
    child.once("exit", () => this.procs.delete(child));
    child.once("error", () => this.procs.delete(child));
    return child;
  }

  /** A TCP/UDP port not handed out before in this namespace (19000..29999; the namespace is otherwise empty). */
  freePort(): number {
    for (;;) {
      const p = 19000 + Math.floor(Math.random() * 11000);
      if (!this.usedPorts.has(p)) {
        this.usedPorts.add(p);
        return p;
      }
    }
  }

  /** A fresh temporary directory (mode 0755), removed by destroy(). */
  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "nfprom-test-"));
    chmodSync(dir, 0o755);
    this.workdirs.add(dir);
    return dir;
  }

  /** PIDs of all processes in this namespace (`ip netns pids`). */
  pids(): number[] {
    if (!namespaceExists(this.name)) return [];
    try {
      const out = execFileSync("ip", ["netns", "pids", this.name], { encoding: "utf8" });
      return out
        .split(/\s+/)
        .filter((s) => s !== "")
        .map(Number);
    } catch {
      return [];
    }
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /**
   * Stops the processes started here (SIGTERM, SIGKILL after 5 s), SIGKILLs anything still in the namespace
   * (only descendants of ours can be in it), deletes the namespace and temp dirs. Idempotent.
   * Returns the PIDs that were still in the namespace after our own processes had exited.
   */
  async destroy(): Promise<{ leftovers: number[] }> {
    if (this.destroyed) return { leftovers: [] };
    this.destroyed = true;
    await Promise.all(
      [...this.procs].map(async (p) => {
        if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
        await waitExit(p, 5000);
      }),
    );
    const leftovers = this.pids();
    for (const pid of leftovers) killPid(pid, "SIGKILL");
    if (leftovers.length > 0) {
      await waitUntil(() => leftovers.every((pid) => !pidAlive(pid)), {
        timeoutMs: 5000,
        what: `leftover processes ${leftovers.join(",")} in ${this.name} to die`,
      }).catch(() => {});
    }
    for (const dir of this.workdirs) rmSync(dir, { recursive: true, force: true });
    this.workdirs.clear();
    if (namespaceExists(this.name)) {
      const r = await run("ip", ["netns", "del", this.name]);
      if (r.code !== 0) throw new Error(`ip netns del ${this.name} failed: ${r.stderr}`);
    }
    unregister(this.name);
    liveNamespaces.delete(this);
    return { leftovers };
  }

  /** Synchronous last-resort cleanup (process 'exit' / signals). */
  destroySync(): void {
    this.destroyed = true;
    for (const p of this.procs) if (p.pid !== undefined && p.exitCode === null) killPid(p.pid, "SIGKILL");
    for (const pid of this.pids()) killPid(pid, "SIGKILL");
    for (const dir of this.workdirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
    try {
      if (namespaceExists(this.name)) execFileSync("ip", ["netns", "del", this.name], { stdio: "ignore" });
      unregister(this.name);
    } catch {
      // best effort
    }
    liveNamespaces.delete(this);
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error(`netns ${this.name} already destroyed`);
  }
}

/**
 * A standard accounting ruleset: `table <family> <table>` with chain `<chain>` holding `rules` (one nft rule
 * statement each, e.g. `tcp dport 5001 counter comment "nft(svc=a)"`), jumped to from input and output hooks.
 */
export function accountingRuleset(
  rules: readonly string[],
  opts: {
    family?: NftFamily;
    table?: string;
    chain?: string;
    hooks?: boolean;
    /** Table-level declarations (named counters, quotas, sets) put before the chains. */
    declarations?: readonly string[];
  } = {},
): string {
  const family = opts.family ?? "inet";
  const table = opts.table ?? "firewall";
  const chain = opts.chain ?? "accounting";
  const hooks = opts.hooks ?? true;
  const lines = [
    `table ${family} ${table} {`,
    ...(opts.declarations ?? []).map((d) => `  ${d.trim()}`),
    `  chain ${chain} {`,
    ...rules.map((r) => `    ${r}`),
    "  }",
  ];
  if (hooks) {
    lines.push(
      "  chain incoming {",
      "    type filter hook input priority filter; policy accept;",
      `    jump ${chain}`,
      "  }",
      "  chain outgoing {",
      "    type filter hook output priority filter; policy accept;",
      `    jump ${chain}`,
      "  }",
    );
  }
  lines.push("}", "");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic

export interface TrafficOptions {
  proto: "tcp" | "udp";
  host: "127.0.0.1" | "::1";
  port: number;
  /** Payload bytes (TCP: one connection; UDP: datagrams of at most `datagram` bytes). */
  bytes: number;
  /** UDP datagram payload size, default 1200. */
  datagram?: number;
  timeoutMs?: number;
}

/** Sends `bytes` payload bytes over loopback inside `ns` to a listener on host:port and waits for delivery. */
export async function sendTraffic(ns: Netns, o: TrafficOptions): Promise<TrafficReport> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const args = [
    TRAFFIC_JS,
    "--proto",
    o.proto,
    "--host",
    o.host,
    "--port",
    String(o.port),
    "--bytes",
    String(o.bytes),
    "--timeout-ms",
    String(timeoutMs),
  ];
  if (o.datagram !== undefined) args.push("--datagram", String(o.datagram));
  const r = await ns.exec(process.execPath, args, { timeoutMs: timeoutMs + 10_000 });
  if (r.code !== 0) {
    throw new Error(`traffic ${JSON.stringify(o)} failed (${r.code}): ${r.stderr.trim()} ${r.stdout.trim()}`);
  }
  return JSON.parse(r.stdout) as TrafficReport;
}

// ---------------------------------------------------------------------------------------------------------------
// nft -j oracle (exact u64)

export type NftFamily = "ip" | "ip6" | "inet" | "arp" | "bridge" | "netdev";

export interface OracleRule {
  handle: bigint;
  comment: string | undefined;
  /** From the rule's first anonymous `counter` statement; undefined without one. */
  bytes: bigint | undefined;
  packets: bigint | undefined;
}

export interface OracleCounter {
  name: string;
  handle: bigint;
  comment: string | undefined;
  bytes: bigint;
  packets: bigint;
}

const TWO_64 = 1n << 64n;

/**
 * Makes nft's JSON safe for JSON.parse: wraps every integer literal with >= 16 digits (outside strings) in
 * quotes, so it survives as a string instead of being rounded to a double. Floats are left alone.
 */
export function quoteBigIntegers(raw: string): string {
  let out = "";
  let last = 0;
  let i = 0;
  const n = raw.length;
  const isDigit = (c: number) => c >= 48 && c <= 57;
  while (i < n) {
    const c = raw.charCodeAt(i);
    if (c === 34) {
      // string: skip to the closing quote, honouring backslash escapes
      i++;
      while (i < n) {
        const d = raw.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 45 || isDigit(c)) {
      let j = c === 45 ? i + 1 : i;
      const digitsStart = j;
      while (j < n && isDigit(raw.charCodeAt(j))) j++;
      const next = raw[j];
      if (next === "." || next === "e" || next === "E") {
        while (j < n && /[0-9.eE+-]/.test(raw[j] as string)) j++;
      } else if (j - digitsStart >= 16) {
        out += `${raw.slice(last, i)}"${raw.slice(i, j)}"`;
        last = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return out + raw.slice(last);
}

/** JSON.parse for `nft -j` output with big integers preserved as strings (see quoteBigIntegers). */
export function parseNftJson(raw: string): unknown {
  return JSON.parse(quoteBigIntegers(raw));
}

/** An nft JSON integer (number or quoted string) as an exact u64; negative values are nft's signed print: +2^64. */
export function u64(v: unknown): bigint {
  let b: bigint;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new TypeError(`not an exact integer: ${v}`);
    b = BigInt(v);
  } else if (typeof v === "string" && /^-?\d+$/.test(v)) {
    b = BigInt(v);
  } else {
    throw new TypeError(`not an integer: ${JSON.stringify(v)}`);
  }
  if (b < 0n) b += TWO_64;
  if (b < 0n || b >= TWO_64) throw new RangeError(`out of u64 range: ${String(v)}`);
  return b;
}

function nftItems(doc: unknown): Record<string, unknown>[] {
  const list = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(list)) throw new Error("nft -j output has no nftables array");
  return list as Record<string, unknown>[];
}

const NFT_MISSING = /No such file or directory/;

/** `nft -j list chain FAMILY TABLE CHAIN` in `ns`, rules in order; null when the table or chain is missing. */
export async function readChainOracle(
  ns: Netns,
  family: NftFamily,
  table: string,
  chain: string,
): Promise<OracleRule[] | null> {
  const r = await ns.exec("nft", ["-j", "list", "chain", family, table, chain], { timeoutMs: 120_000 });
  if (r.code !== 0) {
    if (NFT_MISSING.test(r.stderr)) return null;
    throw new Error(`nft -j list chain ${family} ${table} ${chain} failed (${r.code}): ${r.stderr}`);
  }
  const rules: OracleRule[] = [];
  for (const item of nftItems(parseNftJson(r.stdout))) {
    const rule = item.rule as Record<string, unknown> | undefined;
    if (!rule) continue;
    let bytes: bigint | undefined;
    let packets: bigint | undefined;
    const exprs = Array.isArray(rule.expr) ? (rule.expr as Record<string, unknown>[]) : [];
    for (const e of exprs) {
      const c = e.counter;
      if (c !== null && typeof c === "object") {
        const cc = c as Record<string, unknown>;
        bytes = u64(cc.bytes);
        packets = u64(cc.packets);
        break;
      }
    }
    rules.push({
      handle: u64(rule.handle),
      comment: typeof rule.comment === "string" ? rule.comment : undefined,
      bytes,
      packets,
    });
  }
  return rules;
}

/**
 * The chain's commented rules keyed by comment; null when the table or chain is missing. Throws on a duplicate
 * comment (use readChainOracle for those).
 */
export async function readCounterMap(
  ns: Netns,
  family: NftFamily,
  table: string,
  chain: string,
): Promise<Map<string, OracleRule> | null> {
  const rules = await readChainOracle(ns, family, table, chain);
  if (rules === null) return null;
  const map = new Map<string, OracleRule>();
  for (const r of rules) {
    if (r.comment === undefined) continue;
    if (map.has(r.comment)) throw new Error(`duplicate comment ${JSON.stringify(r.comment)} in ${chain}`);
    map.set(r.comment, r);
  }
  return map;
}

/** Named counter objects of a table (`nft -j list counters table FAMILY TABLE`); null when the table is missing. */
export async function readNamedCounters(
  ns: Netns,
  family: NftFamily,
  table: string,
): Promise<OracleCounter[] | null> {
  const r = await ns.exec("nft", ["-j", "list", "counters", "table", family, table], { timeoutMs: 120_000 });
  if (r.code !== 0) {
    if (NFT_MISSING.test(r.stderr)) return null;
    throw new Error(`nft -j list counters table ${family} ${table} failed (${r.code}): ${r.stderr}`);
  }
  const out: OracleCounter[] = [];
  for (const item of nftItems(parseNftJson(r.stdout))) {
    const c = item.counter as Record<string, unknown> | undefined;
    if (!c) continue;
    out.push({
      name: String(c.name),
      handle: u64(c.handle),
      comment: typeof c.comment === "string" ? c.comment : undefined,
      bytes: u64(c.bytes),
      packets: u64(c.packets),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scraping inside the namespace

export interface ScrapeResult {
  status: number;
  statusLine: string;
  /** Lower-cased header names, as node's http client parses them. */
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  /** Body decoded as UTF-8 (not decompressed). */
  body: string;
  raw: Buffer;
}

export interface ScrapeOptions {
  timeoutMs?: number;
  /** Keep retrying connection errors for this long (readiness polling). */
  retryUntilMs?: number;
  method?: string;
  data?: string;
  insecure?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  signal?: AbortSignal;
}

export class ScrapeError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** GET `url` from inside `ns`. Any HTTP status resolves; connection errors and timeouts reject (ScrapeError). */
export async function scrape(
  ns: Netns,
  url: string,
  headers?: Record<string, string> | readonly (readonly [string, string])[],
  opts: ScrapeOptions = {},
): Promise<ScrapeResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const args = [SCRAPE_JS, url, "--timeout-ms", String(timeoutMs)];
  const pairs: (readonly [string, string])[] =
    headers === undefined ? [] : Array.isArray(headers) ? [...headers] : Object.entries(headers);
  for (const [k, v] of pairs) args.push("--header", `${k}: ${v}`);
  if (opts.retryUntilMs !== undefined) args.push("--retry-until-ms", String(opts.retryUntilMs));
  if (opts.method !== undefined) args.push("--method", opts.method);
  if (opts.data !== undefined) args.push("--data", opts.data);
  if (opts.insecure) args.push("--insecure");
  if (opts.ca !== undefined) args.push("--ca", opts.ca);
  if (opts.cert !== undefined) args.push("--cert", opts.cert);
  if (opts.key !== undefined) args.push("--key", opts.key);
  const r = await ns.exec(process.execPath, args, {
    timeoutMs: timeoutMs + (opts.retryUntilMs ?? 0) + 10_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (r.code !== 0) throw new ScrapeError(`scrape ${url}: ${r.stderr.trim() || `exit ${r.code}`}`, r.code);
  const buf = r.stdoutBuf;
  const nl1 = buf.indexOf(10);
  const nl2 = buf.indexOf(10, nl1 + 1);
  if (nl1 < 0 || nl2 < 0) throw new ScrapeError(`scrape ${url}: malformed scraper output`, r.code);
  const statusLine = buf.subarray(0, nl1).toString("utf8");
  const meta = JSON.parse(buf.subarray(nl1 + 1, nl2).toString("utf8")) as {
    headers: ScrapeResult["headers"];
    rawHeaders: string[];
  };
  const raw = Buffer.from(buf.subarray(nl2 + 1));
  return {
    status: Number(statusLine.split(" ")[1]),
    statusLine,
    headers: meta.headers,
    rawHeaders: meta.rawHeaders,
    body: raw.toString("utf8"),
    raw,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The exporter

export type LogRecord = Record<string, string>;

/** Parses one logfmt line: `k=v k="quoted \" value" flag` → {k: "v", ..., flag: ""}. */
export function parseLogfmt(line: string): LogRecord {
  const rec: LogRecord = {};
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line[i] === " ") i++;
    if (i >= n) break;
    let key = "";
    while (i < n && line[i] !== "=" && line[i] !== " ") key += line[i++];
    if (line[i] !== "=") {
      rec[key] = "";
      continue;
    }
    i++;
    let value = "";
    if (line[i] === '"') {
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < n) {
          const e = line[i + 1];
          value += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : (e as string);
          i += 2;
        } else value += line[i++];
      }
      i++;
    } else {
      while (i < n && line[i] !== " ") value += line[i++];
    }
    rec[key] = value;
  }
  return rec;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NfpromOptions {
  /** Listen port when args carry no -listen flag (then `-listen 127.0.0.1:<port>` is appended). */
  port?: number;
  /** Wait until `GET <readyPath>` answers (default true). */
  waitReady?: boolean;
  readyPath?: string;
  readyTimeoutMs?: number;
  /** Probe readiness over https (with --insecure). */
  https?: boolean;
  /** Working directory; default a fresh temp dir (mode 0755, removed at namespace destroy). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Program + leading args instead of `[process.execPath, NFPROM_MAIN]` (e.g. another build). */
  command?: readonly string[];
  /** Echo the exporter's stderr to ours (also with NFPROM_TEST_ECHO=1). */
  echo?: boolean;
}

export interface NfpromHandle {
  pid: number;
  proc: ChildProcess;
  port: number;
  /** e.g. http://127.0.0.1:19123 */
  baseUrl: string;
  metricsUrl: string;
  workdir: string;
  args: readonly string[];
  /** stderr lines so far. */
  logs(): string[];
  /** stderr lines parsed as logfmt. */
  records(): LogRecord[];
  stdout(): string;
  /** Resolves with the first (past or future) stderr line matching; rejects after timeoutMs or on exit. */
  waitForLog(
    match: RegExp | ((rec: LogRecord, line: string) => boolean),
    timeoutMs?: number,
  ): Promise<string>;
  /** Resolves when the process exits (after up to 1 s more for its stderr to drain). */
  exited: Promise<ExitInfo>;
  /** Resolves when every holder of its stdout/stderr pipes is gone (reader and the children it spawned). */
  closed: Promise<void>;
  /** Exit status if exited, else undefined. */
  exitInfo(): ExitInfo | undefined;
  scrape(
    path?: string,
    headers?: Record<string, string> | readonly (readonly [string, string])[],
    opts?: ScrapeOptions,
  ): Promise<ScrapeResult>;
  /**
   * Sends `signal` (default SIGTERM) by pid and waits; resolves with the exit code (128+signo when killed by a
   * signal). If it has not exited after timeoutMs (default 10 s) it is SIGKILLed and the promise rejects.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

const LISTEN_FLAGS = ["-listen", "--listen", "-web.listen-address", "--web.listen-address"];

function findListen(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    for (const f of LISTEN_FLAGS) {
      if (a === f) return args[i + 1];
      if (a.startsWith(`${f}=`)) return a.slice(f.length + 1);
    }
  }
  return undefined;
}

/** host:port of a listen address → [host usable in a URL, port]. Wildcards map to loopback. */
function urlHostPort(listen: string): [string, number] {
  const idx = listen.lastIndexOf(":");
  let host = listen.slice(0, idx);
  const port = Number(listen.slice(idx + 1));
  if (host === "" || host === "0.0.0.0") host = "127.0.0.1";
  if (host === "[::]" || host === "::") host = "[::1]";
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  return [host, port];
}

export function signalNumber(sig: NodeJS.Signals): number {
  const map: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGABRT: 6,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return map[sig] ?? 0;
}

function exitNumber(e: ExitInfo): number {
  return e.code ?? 128 + (e.signal ? signalNumber(e.signal) : 0);
}

/**
 * Starts `node dist/src/cli/main.js ...args` inside `ns` (its pid is the privileged reader) and, by default,
 * waits until GET /metrics answers. Rejects (with the exporter's logs) when it exits first or never answers.
 */
export async function startNfprom(
  ns: Netns,
  args: readonly string[],
  opts: NfpromOptions = {},
): Promise<NfpromHandle> {
  const allArgs = [...args];
  let listen = findListen(allArgs);
  if (listen === undefined) {
    listen = `127.0.0.1:${opts.port ?? ns.freePort()}`;
    allArgs.push("-listen", listen);
  }
  const [host, port] = urlHostPort(listen);
  const scheme = opts.https ? "https" : "http";
  const baseUrl = `${scheme}://${host}:${port}`;
  const workdir = opts.cwd ?? ns.tempDir();
  const [cmd, ...pre] = opts.command ?? [process.execPath, NFPROM_MAIN];
  if (cmd === undefined) throw new Error("empty command");
  const echo = opts.echo ?? process.env.NFPROM_TEST_ECHO === "1";

  const proc = ns.spawn(cmd, [...pre, ...allArgs], {
    cwd: workdir,
    stdio: ["ignore", "pipe", "pipe"],
    ...(opts.env ? { env: opts.env } : {}),
  });
  const lines: string[] = [];
  const out: Buffer[] = [];
  const waiters = new Set<(line: string) => void>();
  let partial = "";
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (chunk: string) => {
    partial += chunk;
    let nl = partial.indexOf("\n");
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      if (echo) process.stderr.write(`[nfprom ${proc.pid}] ${line}\n`);
      for (const w of waiters) w(line);
      nl = partial.indexOf("\n");
    }
  });
  proc.stdout?.on("data", (c: Buffer) => out.push(c));

  let info: ExitInfo | undefined;
  const flushPartial = () => {
    if (partial !== "") {
      lines.push(partial);
      partial = "";
    }
  };
  // 'close' = every holder of the stdio pipes is gone (the reader *and* any child that inherited them).
  const closed = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  const exited = new Promise<ExitInfo>((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code, signal) => {
      info = { code, signal };
      const e = info;
      // Give the pipes up to 1 s to drain so logs() is complete; a surviving child may hold them open.
      const t = setTimeout(() => resolve(e), 1000);
      void closed.then(() => {
        clearTimeout(t);
        flushPartial();
        resolve(e);
      });
    });
  });
  exited.catch(() => {});
  const pid = proc.pid;
  if (pid === undefined) {
    await exited;
    throw new Error(`could not spawn ${cmd}`);
  }

  const describe = () =>
    `nfprom ${allArgs.join(" ")} (pid ${pid}${info ? `, exit ${exitNumber(info)}` : ""})\n--- stderr ---\n${lines.join("\n")}`;

  const handle: NfpromHandle = {
    pid,
    proc,
    port,
    baseUrl,
    metricsUrl: `${baseUrl}/metrics`,
    workdir,
    args: allArgs,
    logs: () => [...lines],
    records: () => lines.map(parseLogfmt),
    stdout: () => Buffer.concat(out).toString("utf8"),
    waitForLog(match, timeoutMs = 5000) {
      const test = (line: string) =>
        match instanceof RegExp ? match.test(line) : match(parseLogfmt(line), line);
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(w);
        };
        const w = (line: string) => {
          if (test(line)) {
            done();
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms\n${describe()}`));
        }, timeoutMs);
        waiters.add(w);
        void exited.then(() => {
          if (!waiters.has(w)) return;
          done();
          const late = lines.find(test);
          if (late !== undefined) resolve(late);
          else reject(new Error(`exited before logging ${String(match)}\n${describe()}`));
        });
      });
    },
    exited,
    exitInfo: () => info,
    scrape(path = "/metrics", headers, sopts = {}) {
      return scrape(ns, `${baseUrl}${path}`, headers, { insecure: opts.https === true, ...sopts });
    },
    closed,
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      let timedOut = false;
      const timer = setTimeout(() => {
        if (proc.exitCode === null && proc.signalCode === null) {
          timedOut = true;
          proc.kill("SIGKILL");
        }
      }, timeoutMs);
      const e = await exited;
      clearTimeout(timer);
      if (timedOut) {
        throw new Error(`nfprom did not exit within ${timeoutMs} ms after ${signal}\n${describe()}`);
      }
      return exitNumber(e);
    },
  };

  if (opts.waitReady === false) return handle;

  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  const abort = new AbortController();
  const ready = handle
    .scrape(opts.readyPath ?? "/metrics", undefined, {
      retryUntilMs: readyTimeoutMs,
      timeoutMs: readyTimeoutMs,
      signal: abort.signal,
    })
    .then(() => "ready" as const);
  const died = exited.then(() => "exited" as const);
  let outcome: "ready" | "exited";
  try {
    outcome = await Promise.race([ready, died]);
  } catch (err) {
    abort.abort();
    await handle.stop("SIGKILL").catch(() => {});
    throw new Error(
      `nfprom never answered on ${handle.metricsUrl}: ${(err as Error).message}\n${describe()}`,
    );
  }
  if (outcome === "exited") {
    abort.abort();
    ready.catch(() => {});
    throw new Error(`nfprom exited before answering on ${handle.metricsUrl}\n${describe()}`);
  }
  return handle;
}

/** Runs the exporter to completion inside `ns` (for flag errors, -v, ...). */
export function runNfprom(ns: Netns, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return ns.exec(process.execPath, [NFPROM_MAIN, ...args], { timeoutMs: 15_000, ...opts });
}

// ---------------------------------------------------------------------------------------------------------------
// Exposition format parser (text 0.0.4, and the OpenMetrics subset we emit)

export type SampleValue = bigint | number;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  /** Integer literals as BigInt (exact), everything else (floats, NaN, ±Inf) as number. */
  value: SampleValue;
  timestamp: string | undefined;
  /** Canonical `name{k="v",...}`, labels sorted, values escaped. */
  key: string;
  /** 1-based line number. */
  line: number;
}

export interface Exposition {
  /** Canonical key → value. */
  samples: Map<string, SampleValue>;
  list: Sample[];
  help: Map<string, string>;
  type: Map<string, string>;
  unit: Map<string, string>;
  /** Keys that occurred more than once. */
  duplicates: string[];
  /** Saw `# EOF` (OpenMetrics). */
  eof: boolean;
  get(name: string, labels?: Record<string, string>): SampleValue | undefined;
  byName(name: string): Sample[];
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Canonical sample key: `name{a="x",b="y"}` (labels sorted by name), or `name` without labels. */
export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${escapeLabelValue(labels[k] as string)}"`).join(",")}}`;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(s: string, lineNo: number): SampleValue {
  if (/^[+-]?\d+$/.test(s)) return BigInt(s.startsWith("+") ? s.slice(1) : s);
  if (s === "NaN") return Number.NaN;
  if (s === "+Inf" || s === "Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  throw new Error(`line ${lineNo}: bad sample value ${JSON.stringify(s)}`);
}

/** Parses exposition text strictly; throws with a line number on anything malformed. */
export function parseExposition(text: string): Exposition {
  const samples = new Map<string, SampleValue>();
  const list: Sample[] = [];
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const unit = new Map<string, string>();
  const duplicates: string[] = [];
  let eof = false;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    if (eof) throw new Error(`line ${lineNo}: content after # EOF`);
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE|UNIT)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/.exec(line);
      if (m) {
        const [, kind, name, rest = ""] = m as unknown as [string, string, string, string | undefined];
        if (kind === "HELP")
          help.set(
            name,
            rest.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\")),
          );
        else if (kind === "TYPE") type.set(name, rest.trim());
        else unit.set(name, rest.trim());
      } else if (line.trim() === "# EOF") {
        eof = true;
      }
      return;
    }
    const nm = METRIC_NAME.exec(line);
    if (!nm) throw new Error(`line ${lineNo}: bad metric name: ${line}`);
    const name = nm[0];
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === "{") {
      i++;
      for (;;) {
        while (line[i] === " ") i++;
        if (line[i] === "}") {
          i++;
          break;
        }
        const ln = LABEL_NAME.exec(line.slice(i));
        if (!ln) throw new Error(`line ${lineNo}: bad label name at column ${i + 1}: ${line}`);
        const lname = ln[0];
        i += lname.length;
        while (line[i] === " ") i++;
        if (line[i] !== "=") throw new Error(`line ${lineNo}: expected '=' at column ${i + 1}: ${line}`);
        i++;
        while (line[i] === " ") i++;
        if (line[i] !== '"') throw new Error(`line ${lineNo}: expected '"' at column ${i + 1}: ${line}`);
        i++;
        let value = "";
        for (;;) {
          const ch = line[i];
          if (ch === undefined) throw new Error(`line ${lineNo}: unterminated label value: ${line}`);
          if (ch === '"') {
            i++;
            break;
          }
          if (ch === "\\") {
            const e = line[i + 1];
            if (e === "\\") value += "\\";
            else if (e === '"') value += '"';
            else if (e === "n") value += "\n";
            else throw new Error(`line ${lineNo}: bad escape \\${e ?? ""} in label value: ${line}`);
            i += 2;
            continue;
          }
          value += ch;
          i++;
        }
        if (Object.hasOwn(labels, lname))
          throw new Error(`line ${lineNo}: duplicate label ${lname}: ${line}`);
        labels[lname] = value;
        while (line[i] === " ") i++;
        if (line[i] === ",") {
          i++;
          continue;
        }
        if (line[i] === "}") {
          i++;
          break;
        }
        throw new Error(`line ${lineNo}: expected ',' or '}' at column ${i + 1}: ${line}`);
      }
    }
    if (line[i] !== " " && line[i] !== "\t")
      throw new Error(`line ${lineNo}: expected space before value: ${line}`);
    const rest = line.slice(i).trim();
    const hash = rest.indexOf(" # "); // OpenMetrics exemplar
    const fields = (hash >= 0 ? rest.slice(0, hash) : rest).split(/[ \t]+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === "") {
      throw new Error(`line ${lineNo}: expected 'value [timestamp]': ${line}`);
    }
    const value = parseValue(fields[0] as string, lineNo);
    const timestamp = fields[1];
    if (timestamp !== undefined && !/^-?\d+(\.\d+)?$/.test(timestamp)) {
      throw new Error(`line ${lineNo}: bad timestamp ${JSON.stringify(timestamp)}`);
    }
    const key = sampleKey(name, labels);
    if (samples.has(key)) duplicates.push(key);
    samples.set(key, value);
    list.push({ name, labels, value, timestamp, key, line: lineNo });
  });
  return {
    samples,
    list,
    help,
    type,
    unit,
    duplicates,
    eof,
    get: (name, labels) => samples.get(sampleKey(name, labels)),
    byName: (name) => list.filter((s) => s.name === name),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// promtool

/** `promtool check metrics` on `text`: code 0 clean, 3 lint problems, 1 parse error. */
export async function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  const r = await run("promtool", ["check", "metrics"], { input: text, timeoutMs: 30_000 });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

// ---------------------------------------------------------------------------------------------------------------
// /proc inspection

export interface ProcStatus {
  Name: string;
  State: string;
  PPid: number;
  /** real, effective, saved, filesystem */
  Uid: number[];
  Gid: number[];
  Groups: number[];
  CapInh: bigint;
  CapPrm: bigint;
  CapEff: bigint;
  CapBnd: bigint;
  CapAmb: bigint;
  NoNewPrivs: number;
  /** All fields as text. */
  raw: Record<string, string>;
}

/** Parses /proc/<pid>/status. Throws if the process does not exist. */
export function procStatus(pid: number): ProcStatus {
  const raw: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) raw[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  const nums = (k: string) =>
    (raw[k] ?? "")
      .split(/\s+/)
      .filter((s) => s !== "")
      .map(Number);
  const hex = (k: string) => BigInt(`0x${raw[k] ?? "0"}`);
  return {
    Name: raw.Name ?? "",
    State: raw.State ?? "",
    PPid: Number(raw.PPid),
    Uid: nums("Uid"),
    Gid: nums("Gid"),
    Groups: nums("Groups"),
    CapInh: hex("CapInh"),
    CapPrm: hex("CapPrm"),
    CapEff: hex("CapEff"),
    CapBnd: hex("CapBnd"),
    CapAmb: hex("CapAmb"),
    NoNewPrivs: Number(raw.NoNewPrivs ?? "0"),
    raw,
  };
}

/** Direct children of `pid` (all threads), from /proc/<pid>/task/*\/children; [] if the process is gone. */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return kids;
  }
  for (const tid of tasks) {
    try {
      for (const s of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(/\s+/)) {
        if (s !== "") kids.push(Number(s));
      }
    } catch {
      // thread exited
    }
  }
  return [...new Set(kids)].sort((a, b) => a - b);
}

/** True if /proc/<pid> exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  return pidAlive(pid);
}

/** Command line of a process (argv), [] if gone. */
/**
 * isThisNode: whether `pid` runs the node binary this test runs on (by /proc/<pid>/exe: its comm is
 * "node" up to Node 22 and "MainThread" from Node 24, which names its main thread).
 */
export function isThisNode(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === realpathSync(process.execPath);
  } catch {
    return false;
  }
}

export function procCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
  } catch {
    return [];
  }
}
