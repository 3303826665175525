/**
 * nfprom benchmark driver. Started by scripts/bench.sh *inside* a throw-away network namespace
 * (`ip netns exec NS node dist/bench/run.js`); it refuses to run anywhere else, so every `nft` it runs and
 * every socket it opens belong to that namespace. For each chain size N it measures, in one run:
 *
 *   1. the kernel floor: send the dump, receive (recvMany: recvmmsg) until NLMSG_DONE, no decoding (bench/floor.ts);
 *   2. read + decode: ChainReader.read(), what the reader process does per scrape;
 *   3. end to end: the real exporter (reader as root + web as nobody), K sequential HTTP scrapes of /metrics,
 *      peak RSS and CPU of both processes, and their CPU during 5 s without scrapes;
 *   4. the baseline: `nft -j list chain` + JSON.parse.
 *
 * Environment: BENCH_NETNS (namespace name, set by bench.sh), BENCH_CALLER_NETNS (the caller's
 * /proc/self/ns/net link, which we must not be in), BENCH_SIZES (e.g. "100,10000"), BENCH_OUT (RESULTS.md path),
 * BENCH_SOURCE (which source was built, for the report), BENCH_PHASES=1 (also time the sources' scrape phases;
 * the chain rows always time theirs, on an exporter of their own: phasePass).
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { Agent } from "node:http";
import { cpus, getPriority, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { NETLINK_NETFILTER } from "../src/netlink/constants.js";
import { RawNetlinkSocket } from "../src/netlink/socket.js";
import { FAMILIES } from "../src/nftables/constants.js";
import { getRulesRequest } from "../src/nftables/requests.js";
import { ChainReader } from "../src/sources/rules/chain.js";
import { floorDump } from "./floor.js";
import { type HttpResult, httpGet } from "./http.js";
import { type NodeFloor, nodeFloor } from "./node-floor.js";
import { PhaseLog, phaseSection } from "./phases.js";
import {
  childrenOf,
  cpuByThreadMs,
  cpuMs,
  serviceKiB,
  statusKiB,
  type ThreadCpuMs,
  threadCpuDelta,
} from "./proc.js";
import { BENCH_CHAIN, BENCH_CHAIN_FLAGS, BENCH_FAMILY, BENCH_TABLE, rulesetText } from "./rules.js";
import { type Dist, dist, fmtMs } from "./stats.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NFPROM_MAIN = join(REPO_ROOT, "dist/src/cli/main.js");
const DEFAULT_SIZES = [100, 10_000, 100_000];
const PORT = 9830;
const IDLE_MS = 5_000;
/** After a burst of scrapes: V8's memory reducer collects up to three times, 8 s apart at most. */
const SETTLE_MS = 30_000;
/** Scrapes at Prometheus' default interval, for what a scrape costs when the exporter has gone cold. */
const SPACED_SCRAPES = 4;
const SPACED_GAP_MS = 15_000;
const SPACED_MAX_N = 1_000;
const NODE_FLOOR_MAX_N = 100;
const MIB = 1024;

/** Runs per size: K for floor, read+decode and scrapes; nft -j runs; untimed warm-up runs. */
/**
 * K timed runs after `warmup` untimed ones. A small chain warms up for 100 scrapes (under a second): V8
 * compiles the scrape path in its first few dozen, which an exporter does once in its life, while the K
 * that follow should show what each scrape costs from then on.
 */
function plan(n: number): { k: number; nftRuns: number; warmup: number } {
  if (n >= 100_000) return { k: 3, nftRuns: 3, warmup: 0 };
  if (n >= 10_000) return { k: 20, nftRuns: 5, warmup: 5 };
  return { k: 20, nftRuns: 5, warmup: 100 };
}

// ---------------------------------------------------------------------------------------------------------
// small helpers

const fmtMiB = (kib: number) => `${(kib / MIB).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** run executes a command to completion, collecting stdout as Buffers (nft -j at 100k prints ~60 MB). */
function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: performance.now() - t0,
      }),
    );
  });
}

async function mustRun(cmd: string, args: string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// safety: only ever run inside the namespace bench.sh created

function assertInBenchNetns(): void {
  const name = process.env.BENCH_NETNS;
  if (!name || !/^nfprom-bench-[A-Za-z0-9-]+$/.test(name)) {
    throw new Error("run me through scripts/bench.sh (BENCH_NETNS is not set)");
  }
  const self = statSync("/proc/self/ns/net").ino;
  if (statSync(`/run/netns/${name}`).ino !== self) {
    throw new Error(`not inside network namespace ${name}; refusing to touch this namespace's ruleset`);
  }
  const caller = process.env.BENCH_CALLER_NETNS;
  if (!caller || readlinkSync("/proc/self/ns/net") === caller) {
    throw new Error("still in the caller's network namespace; refusing to touch its ruleset");
  }
}

// ---------------------------------------------------------------------------------------------------------
// the exporter under test

interface Exporter {
  child: ChildProcess;
  readerPid: number;
  webPid: number;
  logPath: string;
}

let current: Exporter | undefined;
let workDir: string | undefined;

async function startExporter(
  dir: string,
  n: number,
  phases: PhaseLog,
  port = PORT,
  extraArgs: string[] = [],
): Promise<Exporter> {
  const logPath = join(dir, `exporter-${n}-${port}.log`);
  const fd = openSync(logPath, "w");
  const args = [
    NFPROM_MAIN,
    ...BENCH_CHAIN_FLAGS,
    "-listen",
    `127.0.0.1:${port}`,
    "-read-timeout",
    "60s",
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", fd, fd], env: phases.env() });
  closeSync(fd);
  const readerPid = child.pid;
  if (readerPid === undefined) throw new Error("cannot start the exporter");
  const exp: Exporter = { child, readerPid, webPid: 0, logPath };
  current = exp;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exporter exited early:\n${readFileSync(logPath, "utf8")}`);
    }
    try {
      if ((await httpGet(port, "/")).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`exporter never listened:\n${readFileSync(logPath, "utf8")}`);
    await sleep(50);
  }
  const kids = childrenOf(readerPid);
  if (kids.length !== 1)
    throw new Error(`expected one web process under ${readerPid}, found ${kids.join(",")}`);
  exp.webPid = kids[0] as number;
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${exp.webPid}/status`, "utf8"))?.[1];
  if (uid === "0") throw new Error("the web process runs as root; expected nobody");
  return exp;
}

async function stopExporter(exp: Exporter): Promise<void> {
  const { child } = exp;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    process.kill(exp.readerPid, "SIGTERM");
    const timer = setTimeout(() => {
      for (const pid of [exp.webPid, exp.readerPid]) {
        try {
          if (pid) process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (current === exp) current = undefined;
}

function killCurrentSync(): void {
  const exp = current;
  if (!exp) return;
  for (const pid of [exp.readerPid, exp.webPid]) {
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** scrapeOf GETs /metrics on `port` and throws unless it is a 200 holding n bytes series (`what` names the step). */
async function scrapeOf(port: number, agent: Agent, n: number, what: string): Promise<HttpResult> {
  const res = await httpGet(port, "/metrics", agent);
  if (res.status !== 200 || countSeries(res.body, "nfprom_bytes_total") !== n)
    throw new Error(`${what}: scrape of port ${port} failed (HTTP ${res.status})`);
  return res;
}

function countSeries(body: string, name: string): number {
  const needle = `\n${name}{`;
  let count = body.startsWith(`${name}{`) ? 1 : 0;
  for (let i = body.indexOf(needle); i !== -1; i = body.indexOf(needle, i + 1)) count++;
  return count;
}

// ---------------------------------------------------------------------------------------------------------
// measurements

interface SizeResult {
  n: number;
  k: number;
  loadMs: number;
  floor: Dist;
  floorDatagrams: number;
  floorBytes: number;
  read: Dist;
  e2e: Dist;
  bodyBytes: number;
  rssReaderKiB: number;
  rssWebKiB: number;
  cpuPerScrapeReaderMs: number;
  cpuPerScrapeWebMs: number;
  idleReaderMs: number;
  /** CPU of both processes in the SETTLE_MS after the back-to-back scrapes, before the idle window. */
  aftermathMs: number;
  /** serviceKiB once settled, SETTLE_MS after the scrapes. */
  settledServiceKiB: number;
  idleWebMs: number;
  /** Both processes' private pages and their shared executable once, after the scrapes. */
  serviceKiB: number;
  /** CPU of both processes per scrape, SPACED_SCRAPES scrapes SPACED_GAP_MS apart (N ≤ SPACED_MAX_N). */
  spacedCpuMs?: number;
  exporterStartMs: number;
  nft: Dist;
  nftOnly: Dist;
  nftJsonBytes: number;
  /** Per-phase medians of K scrapes of an exporter with the phase hook, rendered as markdown rows. */
  phases: string | undefined;
  /** CPU per scrape over the K scrapes, by thread kind. */
  threadsReader: ThreadCpuMs;
  threadsWeb: ThreadCpuMs;
  proof: ProofCost;
  /** Node's own floor for the same exchange (bench/node-floor.ts), N ≤ NODE_FLOOR_MAX_N. */
  runtime?: NodeFloor;
}

/** The whole-read proof's price: the same scrapes with and without it, alternated in pairs. */
interface ProofCost {
  proven: Dist;
  unproven: Dist;
  /** Median of (proven − unproven) over the pairs. */
  pairedMs: number;
}

/**
 * proofCost runs an exporter with the proof and one with -read.skip-proof side by side and scrapes them
 * in turn, k pairs, the order alternating, so that both see the same machine state.
 */
async function proofCost(dir: string, n: number, k: number): Promise<ProofCost> {
  const a = await startExporter(dir, n, new PhaseLog(false), PORT);
  const b = await startExporter(dir, n, new PhaseLog(false), PORT + 1, ["-read.skip-proof"]);
  const agents = [
    new Agent({ keepAlive: true, maxSockets: 1 }),
    new Agent({ keepAlive: true, maxSockets: 1 }),
  ];
  const proven: number[] = [];
  const unproven: number[] = [];
  const diffs: number[] = [];
  try {
    const scrape = async (which: 0 | 1) =>
      (await scrapeOf(PORT + which, agents[which] as Agent, n, "proof cost")).ms;
    for (let i = -1; i < k; i++) {
      const first = (i & 1) as 0 | 1;
      const t1 = await scrape(first);
      const t2 = await scrape((1 - first) as 0 | 1);
      if (i < 0) continue;
      const [p, u] = first === 0 ? [t1, t2] : [t2, t1];
      proven.push(p);
      unproven.push(u);
      diffs.push(p - u);
    }
  } finally {
    for (const agent of agents) agent.destroy();
    await stopExporter(a);
    await stopExporter(b);
  }
  return { proven: dist(proven), unproven: dist(unproven), pairedMs: dist(diffs).p50 };
}

/**
 * phasePass scrapes an exporter that has the phase hook (bench/phase-hook.ts) like the e2e run does, and
 * returns where the scrapes' time went. Apart from the e2e run, whose figures stay those of an unmodified
 * exporter.
 */
async function phasePass(dir: string, n: number, k: number, warmup: number): Promise<string | undefined> {
  const phaseLog = new PhaseLog(true);
  const exp = await startExporter(dir, n, phaseLog);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const scrapes: HttpResult[] = [];
  try {
    for (let i = -warmup; i < k; i++) {
      const res = await scrapeOf(PORT, agent, n, "phase pass");
      if (i >= 0) scrapes.push({ ...res, body: "" });
    }
  } finally {
    agent.destroy();
    await stopExporter(exp);
  }
  return phaseLog.table(scrapes);
}

async function benchSize(n: number, dir: string): Promise<SizeResult> {
  const { k, nftRuns, warmup } = plan(n);
  log(`N=${n}: generating and loading the chain (nft -f)`);
  const file = join(dir, `rules-${n}.nft`);
  writeFileSync(file, rulesetText(n));
  const load = await mustRun("nft", ["-f", file]);
  rmSync(file);
  log(`N=${n}: loaded in ${fmtMs(load.ms)}`);

  // 1 + 2: floor and read+decode, interleaved so both see the same machine state.
  const sock = RawNetlinkSocket.open({ protocol: NETLINK_NETFILTER, recvTimeoutMs: 10_000 });
  const floorOnce = async () => {
    const t0 = performance.now();
    const f = await floorDump(sock, (seq) =>
      getRulesRequest(seq, FAMILIES[BENCH_FAMILY], BENCH_TABLE, BENCH_CHAIN),
    );
    const ms = performance.now() - t0;
    if (f.messages !== n) throw new Error(`floor saw ${f.messages} rules, expected ${n}`);
    return { ...f, ms };
  };
  const reader = new ChainReader(
    { family: FAMILIES[BENCH_FAMILY], table: BENCH_TABLE, chain: BENCH_CHAIN },
    { recvTimeoutMs: 10_000 },
  );
  const floorRuns: number[] = [];
  const readRuns: number[] = [];
  let floorDatagrams = 0;
  let floorBytes = 0;
  let exp: Exporter | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = -warmup; i < k; i++) {
      const f = await floorOnce();
      const t0 = performance.now();
      const snap = await reader.read(() => false);
      const readMs = performance.now() - t0;
      if (snap.rules.count !== n) throw new Error(`reader decoded ${snap.rules.count} rules, expected ${n}`);
      if (i >= 0) {
        floorRuns.push(f.ms);
        readRuns.push(readMs);
        floorDatagrams = f.datagrams;
        floorBytes = f.bytes;
      }
    }
    reader.close();
    const read = dist(readRuns);
    log(`N=${n}: floor p50 ${fmtMs(dist(floorRuns).p50)}, read+decode p50 ${fmtMs(read.p50)} (K=${k})`);

    // 3: end to end through the real exporter, each scrape right after a floor run (the exporter is idle
    // then), so that e2e and floor are compared under the same conditions even if the machine drifts.
    const t0 = performance.now();
    exp = await startExporter(dir, n, new PhaseLog(false));
    const exporterStartMs = performance.now() - t0;
    const e2eRuns: number[] = [];
    let bodyBytes = 0;
    let lastBody = "";
    // CPU is taken over the whole loop: the exporter is idle during the floor runs, and work it defers past
    // a response (GC) still belongs to the scrapes.
    let cpu0 = { r: 0, w: 0 };
    let threads0 = { r: cpuByThreadMs(exp.readerPid), w: cpuByThreadMs(exp.webPid) };
    for (let i = -warmup; i < k; i++) {
      if (i === 0) {
        cpu0 = { r: cpuMs(exp.readerPid), w: cpuMs(exp.webPid) };
        threads0 = { r: cpuByThreadMs(exp.readerPid), w: cpuByThreadMs(exp.webPid) };
      }
      const f = await floorOnce();
      const res = await httpGet(PORT, "/metrics", agent);
      if (res.status !== 200) throw new Error(`scrape: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      const series = countSeries(res.body, "nfprom_bytes_total");
      const up = res.body.includes("\nnfprom_up 1\n");
      if (series !== n || !up)
        throw new Error(`scrape returned ${series} bytes series (expected ${n}), up=1: ${up}`);
      bodyBytes = Buffer.byteLength(res.body);
      lastBody = res.body;
      if (i >= 0) {
        floorRuns.push(f.ms);
        e2eRuns.push(res.ms);
      }
    }
    const cpu1 = { r: cpuMs(exp.readerPid), w: cpuMs(exp.webPid) };
    const threadsReader = threadCpuDelta(threads0.r, cpuByThreadMs(exp.readerPid), k);
    const threadsWeb = threadCpuDelta(threads0.w, cpuByThreadMs(exp.webPid), k);
    const serviceAfterKiB = serviceKiB([exp.readerPid, exp.webPid]);
    sock.close();
    const rssReaderKiB = statusKiB(exp.readerPid, "VmHWM");
    const rssWebKiB = statusKiB(exp.webPid, "VmHWM");
    agent.destroy();
    // What the burst leaves behind (the connection's close, V8's memory reducer collecting over the next
    // seconds) is measured apart: the idle window and the spaced scrapes start settled, as an exporter
    // that Prometheus scrapes every 15 s is.
    const after0 = cpuMs(exp.readerPid) + cpuMs(exp.webPid);
    await sleep(SETTLE_MS);
    const idle0 = { r: cpuMs(exp.readerPid), w: cpuMs(exp.webPid) };
    const aftermathMs = idle0.r + idle0.w - after0;
    const settledServiceKiB = serviceKiB([exp.readerPid, exp.webPid]);
    await sleep(IDLE_MS);
    const idle1 = { r: cpuMs(exp.readerPid), w: cpuMs(exp.webPid) };
    const spacedCpuMs = n <= SPACED_MAX_N ? await spacedScrapeCpuMs(exp, n) : undefined;
    const e2e = dist(e2eRuns);
    const floor = dist(floorRuns);
    log(
      `N=${n}: e2e p50 ${fmtMs(e2e.p50)} p95 ${fmtMs(e2e.p95)}; floor p50 over ${floorRuns.length} runs ${fmtMs(floor.p50)}`,
    );
    await stopExporter(exp);
    exp = undefined;
    const runtime =
      n <= NODE_FLOOR_MAX_N
        ? await nodeFloor(lastBody, PORT, k, warmup, { scrapes: SPACED_SCRAPES, gapMs: SPACED_GAP_MS })
        : undefined;
    if (runtime)
      log(
        `N=${n}: Node's own floor: p50 ${fmtMs(runtime.e2e.p50)}, CPU ${fmtMs(runtime.cpuPerScrapeMs)}/scrape`,
      );
    const phases = await phasePass(dir, n, k, warmup);
    const proof = await proofCost(dir, n, k);
    log(
      `N=${n}: proof: e2e p50 ${fmtMs(proof.proven.p50)} with, ${fmtMs(proof.unproven.p50)} without; paired difference ${fmtMs(proof.pairedMs)}`,
    );

    // 4: the nft -j baseline.
    const nftRunsMs: number[] = [];
    const nftOnlyMs: number[] = [];
    let nftJsonBytes = 0;
    for (let i = 0; i < nftRuns; i++) {
      const r = await mustRun("nft", ["-j", "list", "chain", BENCH_FAMILY, BENCH_TABLE, BENCH_CHAIN]);
      const p0 = performance.now();
      const parsed = JSON.parse(r.stdout.toString("utf8")) as { nftables: Record<string, unknown>[] };
      const parseMs = performance.now() - p0;
      const rules = parsed.nftables.filter((o) => "rule" in o).length;
      if (rules !== n) throw new Error(`nft -j listed ${rules} rules, expected ${n}`);
      nftJsonBytes = r.stdout.length;
      nftRunsMs.push(r.ms + parseMs);
      nftOnlyMs.push(r.ms);
    }
    const nft = dist(nftRunsMs);
    log(`N=${n}: nft -j + JSON.parse p50 ${fmtMs(nft.p50)}`);

    return {
      n,
      k,
      loadMs: load.ms,
      floor,
      floorDatagrams,
      floorBytes,
      read,
      e2e,
      bodyBytes,
      rssReaderKiB,
      rssWebKiB,
      cpuPerScrapeReaderMs: (cpu1.r - cpu0.r) / k,
      cpuPerScrapeWebMs: (cpu1.w - cpu0.w) / k,
      idleReaderMs: idle1.r - idle0.r,
      aftermathMs,
      settledServiceKiB,
      idleWebMs: idle1.w - idle0.w,
      serviceKiB: serviceAfterKiB,
      ...(spacedCpuMs !== undefined && { spacedCpuMs }),
      exporterStartMs,
      nft,
      nftOnly: dist(nftOnlyMs),
      nftJsonBytes,
      phases,
      threadsReader,
      threadsWeb,
      proof,
      ...(runtime && { runtime }),
    };
  } finally {
    agent.destroy();
    sock.close();
    reader.close();
    if (exp) await stopExporter(exp);
  }
}

/**
 * spacedScrapeCpuMs: both processes' CPU per scrape over SPACED_SCRAPES scrapes SPACED_GAP_MS apart, as
 * Prometheus scrapes. Back-to-back scrapes run hot (code, caches, connection); a real one finds the
 * exporter idle for 15 s, and that costs more.
 */
async function spacedScrapeCpuMs(exp: Exporter, n: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const cpu = () => cpuMs(exp.readerPid) + cpuMs(exp.webPid);
    const c0 = cpu();
    for (let i = 0; i < SPACED_SCRAPES; i++) {
      await sleep(SPACED_GAP_MS);
      await scrapeOf(PORT, agent, n, "spaced scrape");
    }
    return (cpu() - c0) / SPACED_SCRAPES;
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// report

const IDLE_CPU_LIMIT_MS = 1; // both processes together, over IDLE_MS: nothing but a timer tick

function table(results: SizeResult[]): string {
  const rows = [
    "| N | floor p50 | read+decode p50 | e2e p50 | e2e p95 | e2e/floor | RSS reader | RSS web | service memory | CPU/scrape | CPU/scrape every 15 s | idle CPU | nft -j |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    rows.push(
      `| ${r.n.toLocaleString("en-US")} | ${fmtMs(r.floor.p50)} | ${fmtMs(r.read.p50)} | ${fmtMs(r.e2e.p50)} | ` +
        `${fmtMs(r.e2e.p95)} | ${(r.e2e.p50 / r.floor.p50).toFixed(2)}× | ${fmtMiB(r.rssReaderKiB)} | ` +
        `${fmtMiB(r.rssWebKiB)} | ${fmtMiB(r.serviceKiB)} (${fmtMiB(r.settledServiceKiB)}) | ${fmtMs(r.cpuPerScrapeReaderMs + r.cpuPerScrapeWebMs)} ` +
        `(${fmtMs(r.cpuPerScrapeReaderMs)} + ${fmtMs(r.cpuPerScrapeWebMs)}) | ` +
        `${r.spacedCpuMs === undefined ? "–" : fmtMs(r.spacedCpuMs)} | ` +
        `${(r.idleReaderMs + r.idleWebMs).toFixed(1)} ms / ${IDLE_MS / 1000} s | ${fmtMs(r.nft.p50)} |`,
    );
  }
  return rows.join("\n");
}

function details(results: SizeResult[]): string {
  const rows = [
    "| N | K | load (nft -f) | floor p95 | read+decode p95 | e2e min / max | datagrams / bytes per dump | /metrics body | exporter start | CPU in the 30 s after the scrapes | idle CPU reader + web | nft -j alone p50 | nft -j JSON |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    rows.push(
      `| ${r.n.toLocaleString("en-US")} | ${r.k} | ${fmtMs(r.loadMs)} | ${fmtMs(r.floor.p95)} | ${fmtMs(r.read.p95)} | ` +
        `${fmtMs(r.e2e.min)} / ${fmtMs(r.e2e.max)} | ${r.floorDatagrams} / ${(r.floorBytes / 1e6).toFixed(2)} MB | ` +
        `${(r.bodyBytes / 1e6).toFixed(2)} MB | ${fmtMs(r.exporterStartMs)} | ${fmtMs(r.aftermathMs)} | ` +
        `${r.idleReaderMs.toFixed(0)} + ${r.idleWebMs.toFixed(0)} ms | ${fmtMs(r.nftOnly.p50)} | ` +
        `${(r.nftJsonBytes / 1e6).toFixed(2)} MB |`,
    );
  }
  return rows.join("\n");
}

function threadTable(results: SizeResult[]): string {
  const rows = [
    "| N | reader: main | reader: libuv pool | reader: V8 workers | web: main | web: libuv pool | web: V8 workers | other threads | all |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const [a, b] = [r.threadsReader, r.threadsWeb];
    const all = a.main + a.pool + a.v8 + a.other + b.main + b.pool + b.v8 + b.other;
    rows.push(
      `| ${r.n.toLocaleString("en-US")} | ${fmtMs(a.main)} | ${fmtMs(a.pool)} | ${fmtMs(a.v8)} | ` +
        `${fmtMs(b.main)} | ${fmtMs(b.pool)} | ${fmtMs(b.v8)} | ${fmtMs(a.other + b.other)} | ${fmtMs(all)} |`,
    );
  }
  return rows.join("\n");
}

/** targets: issue 20's goals for one chain, each judged on this run. */
function targets(results: SizeResult[]): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? "**met**" : "**MISSED**");
  const at = (n: number) => results.find((r) => r.n === n);
  const r100 = at(100);
  if (r100) {
    const cpu = r100.cpuPerScrapeReaderMs + r100.cpuPerScrapeWebMs;
    lines.push(`- 100 rules: e2e p50 ≤ 2.5 ms: ${fmtMs(r100.e2e.p50)} — ${mark(r100.e2e.p50 <= 2.5)}`);
    lines.push(
      `- 100 rules: CPU ≤ 1.5 ms per scrape, both processes: ${fmtMs(cpu)} back to back — ${mark(cpu <= 1.5)}` +
        (r100.spacedCpuMs === undefined
          ? ""
          : `; ${fmtMs(r100.spacedCpuMs)} every 15 s — ${mark(r100.spacedCpuMs <= 1.5)}`),
    );
    const rt = r100.runtime;
    if (rt)
      lines.push(
        `- 100 rules, Node's own floor (bench/node-floor.ts: two processes of the same node, one a bare HTTP ` +
          `server answering the same gzipped body, the same client): e2e p50 ${fmtMs(rt.e2e.p50)}, CPU ` +
          `${fmtMs(rt.cpuPerScrapeMs)} per scrape back to back, ${fmtMs(rt.spacedCpuMs)} every 15 s, service memory ${fmtMiB(rt.serviceKiB)} ` +
          `(${fmtMiB(rt.idleServiceKiB)} before any request). nfprom beyond it: ` +
          `${fmtMs(r100.e2e.p50 - rt.e2e.p50)} p50, ${fmtMs(r100.cpuPerScrapeReaderMs + r100.cpuPerScrapeWebMs - rt.cpuPerScrapeMs)} CPU, ` +
          `${fmtMiB(r100.serviceKiB - rt.serviceKiB)}.`,
      );
  }
  for (const [n, limit] of [
    [10_000, 1.3],
    [100_000, 1.05],
  ] as const) {
    const r = at(n);
    if (!r) continue;
    const ratio = r.e2e.p50 / r.floor.p50;
    lines.push(
      `- ${n.toLocaleString("en-US")} rules: e2e p50 ≤ ${limit}× floor: ${fmtMs(r.e2e.p50)} / ${fmtMs(r.floor.p50)} = ` +
        `${ratio.toFixed(2)}× — ${mark(ratio <= limit)}`,
    );
  }
  for (const [n, limitMiB] of [
    [100, 60],
    [10_000, 80],
  ] as const) {
    const r = at(n);
    if (!r) continue;
    lines.push(
      `- ${n.toLocaleString("en-US")} rules: service memory ≤ ${limitMiB} MiB: ${fmtMiB(r.serviceKiB)} — ` +
        `${mark(r.serviceKiB / MIB <= limitMiB)}`,
    );
  }
  const idle = results.map(
    (r) => `${r.n.toLocaleString("en-US")}: ${(r.idleReaderMs + r.idleWebMs).toFixed(1)} ms`,
  );
  const idleOk = results.every((r) => r.idleReaderMs + r.idleWebMs <= IDLE_CPU_LIMIT_MS);
  lines.push(
    `- idle: no CPU (both processes, ${IDLE_MS / 1000} s without scrapes, limit ${IDLE_CPU_LIMIT_MS} ms): ` +
      `${idle.join(", ")} — ${mark(idleOk)}`,
  );
  return lines.join("\n");
}

async function machine(): Promise<string> {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  const kernel = (await mustRun("uname", ["-r"])).stdout.toString().trim();
  const nftVersion = (await mustRun("nft", ["--version"])).stdout.toString().trim();
  return [
    `- kernel: ${kernel}`,
    `- CPU: ${cpuModel}, ${cpus().length} cores; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node.js: ${process.version}`,
    `- nft: ${nftVersion}`,
    `- niceness of the bench, the exporter and nft: ${getPriority()}${getPriority() < 0 ? " (BENCH_NICE)" : ""}`,
  ].join("\n");
}

interface RunInfo {
  machine: string;
  startedAt: Date;
  totalMs: number;
  loadBefore: string;
  loadAfter: string;
}

function loadavg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function report(results: SizeResult[], info: RunInfo): string {
  const phases = phaseSection(
    "Where a scrape's time goes",
    results.flatMap((r) =>
      r.phases ? [{ title: `N = ${r.n.toLocaleString("en-US")}`, rows: r.phases }] : [],
    ),
    "on an exporter of its own, scraped K times as in the e2e run, after it; the hook's small overhead " +
      "is in these figures, not in the e2e columns above",
  );
  return `# nfprom benchmark results

Generated by \`npm run bench\` (scripts/bench.sh → dist/bench/run.js) on ${info.startedAt.toISOString()}; the
whole run took ${fmtMs(info.totalMs)}. Source: ${process.env.BENCH_SOURCE || "unknown"}.

${info.machine}
- load average (1/5/15 min) before: ${info.loadBefore}, after: ${info.loadAfter} (other work on the machine
  shows up as noise, most of all in the kernel's share)

One regular chain \`${BENCH_FAMILY} ${BENCH_TABLE} ${BENCH_CHAIN}\` of N rules
\`ip daddr 10.x.y.z tcp dport P counter packets A bytes B comment "nft(i=<n>;svc=<name>)"\`, in a throw-away
network namespace. K = 20 runs at N ≤ 10 000, after untimed warm-up runs (100 at N ≤ 1,000: V8 compiles the
scrape path during the first few dozen scrapes of an exporter's life; 5 at 10,000), K = 3 at 100 000 (no warm-up).

- **floor**: NetlinkSocket + getRulesRequest, recvMany (recvmmsg, up to 8 datagrams a call) until NLMSG_DONE, headers scanned, nothing decoded
  (bench/floor.ts), in the bench process. One floor run precedes every read+decode run and every scrape, so
  the column is the median of 2K runs and e2e/floor compares runs made under the same conditions.
- **read+decode**: \`ChainReader.read()\` (src/sources/rules/chain.ts), in the bench process.
- **e2e**: the real exporter (\`node dist/src/cli/main.js -table ${BENCH_TABLE} -chain ${BENCH_CHAIN} -family ${BENCH_FAMILY}
  -listen 127.0.0.1:${PORT} -read-timeout 60s\`, reader as root, web as nobody), K sequential \`GET /metrics\` over one
  keep-alive connection from inside the namespace, with the headers Prometheus sends (gzip, text format); each body
  is checked to hold N \`nfprom_bytes_total\` series and \`nfprom_up 1\`. Latency = request sent → last (compressed)
  body byte received.
- **RSS**: VmHWM (peak resident set) of the reader and of the web process after the scrapes.
- **service memory**: what the service costs its host after the scrapes: both processes' private pages
  (/proc/<pid>/smaps) plus the pages of the \`node\` executable they share, counted once (summing VmRSS
  counts those twice); in brackets the same ${SETTLE_MS / 1000} s later, once V8's memory reducer has run.
- **CPU/scrape**: CPU time (user + system, every thread, from /proc/<pid>/task/*/schedstat) of reader + web
  over the K scrapes, divided by K (reader + web in brackets; the kernel's dump work is the reader's system
  time). **every 15 s**: the same for ${SPACED_SCRAPES} scrapes ${SPACED_GAP_MS / 1000} s apart, as Prometheus scrapes, the time
  between them included (N ≤ ${SPACED_MAX_N.toLocaleString("en-US")}): an exporter idle for 15 s has gone cold.
  They start settled (below), as an exporter that Prometheus scrapes every 15 s is.
- **idle CPU**: CPU time of both processes during ${IDLE_MS / 1000} s without scrapes, once settled: after the K
  scrapes the bench waits ${SETTLE_MS / 1000} s (the closed connection, V8's memory reducer collecting the burst's
  garbage; that CPU is in the details, "after the scrapes").
- **Node's own floor** (N ≤ ${NODE_FLOOR_MAX_N}, bench/node-floor.ts): two processes of the same \`node\`, one a bare
  HTTP server answering the same gzipped body, the other idle; the same client and K scrapes. What a target
  below it asks of any Node.js exporter.
- **nft -j**: \`nft -j list chain ${BENCH_FAMILY} ${BENCH_TABLE} ${BENCH_CHAIN}\` wall time + JSON.parse in node, median.

${table(results)}

Details:

${details(results)}

CPU per scrape by thread, over the same K scrapes: **main** is JavaScript and the system calls it makes
itself; the reader's **libuv pool** runs its netlink dumps and barriers (the kernel's dump work is there,
as system time), the web process's runs gzip; **V8 workers** collect garbage and compile concurrently. Two
cores bound a scrape's wall time from below by **all** / 2, whatever runs in parallel.

${threadTable(results)}

## Price of the whole-read proof

Every read is bracketed by two ruleset-generation reads and two empty transactions (src/nftables/generation.ts).
Two exporters run side by side, one with \`-read.skip-proof\`, and are scraped in turn, K pairs, the order
alternating; "paired" is the median of the pairs' differences (issue 15's budget: ≤ 0.3 ms at 100 rules, ≤ 5 %
at 10 000 and 100 000).

${proofTable(results)}

## Targets

${targets(results)}

${readFileSync(join(REPO_ROOT, "bench/targets-notes.md"), "utf8").trim()}
${phases}`;
}

function proofTable(results: SizeResult[]): string {
  const rows = [
    "| N | e2e p50 with | e2e p50 without | paired difference | of e2e |",
    "|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const { proven, unproven, pairedMs } = r.proof;
    rows.push(
      `| ${r.n.toLocaleString("en-US")} | ${fmtMs(proven.p50)} | ${fmtMs(unproven.p50)} | ${pairedMs >= 0 ? "+" : ""}${fmtMs(pairedMs)} | ` +
        `${((100 * pairedMs) / unproven.p50).toFixed(1)} % |`,
    );
  }
  return rows.join("\n");
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  assertInBenchNetns();
  const sizes = (process.env.BENCH_SIZES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1_000_000)) {
    throw new Error(
      `BENCH_SIZES must be a comma-separated list of rule counts, got "${process.env.BENCH_SIZES}"`,
    );
  }
  const ns = sizes.length ? sizes : DEFAULT_SIZES;
  const out = process.env.BENCH_OUT || join(REPO_ROOT, "bench/RESULTS.md");
  const startedAt = new Date();
  const loadBefore = loadavg();
  const dir = mkdtempSync(join(tmpdir(), "nfprom-bench-"));
  workDir = dir;
  const results: SizeResult[] = [];
  try {
    for (const n of ns) results.push(await benchSize(n, dir));
  } finally {
    killCurrentSync();
    rmSync(dir, { recursive: true, force: true });
    await run("nft", ["delete", "table", BENCH_FAMILY, BENCH_TABLE]);
  }
  const md = report(results, {
    machine: await machine(),
    startedAt,
    totalMs: Date.now() - startedAt.getTime(),
    loadBefore,
    loadAfter: loadavg(),
  });
  writeFileSync(out, md);
  process.stdout.write(`\n${table(results)}\n\n${targets(results)}\n\nwritten to ${out}\n`);
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    killCurrentSync();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  });
}

main().catch((err: unknown) => {
  killCurrentSync();
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
