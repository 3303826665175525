/**
 * Benchmark rows for -netns (issue 21): the same 10,000 rules read as one chain in nfprom's own network
 * namespace (no -netns), as one chain in one other namespace (-netns), and as ten namespaces of 1,000 rules
 * each (-netns with a glob): what reading through several namespaces costs per scrape, in time, CPU and
 * memory. Run by scripts/bench.sh (BENCH_PART=netns, or after the other parts), inside its throw-away
 * namespace; the namespaces it adds are named after that one and deleted again, also on a signal.
 * e2e: the real exporter, K scrapes after WARMUP untimed ones, over one keep-alive connection.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startExporter, stopExporter } from "./exporter.js";
import { httpGet } from "./http.js";
import { cpuMs, statusKiB } from "./proc.js";
import { BENCH_CHAIN_FLAGS, BENCH_FAMILY, BENCH_TABLE, rulesetText } from "./rules.js";
import { dist, fmtMs } from "./stats.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PORT = 9832;
const K = Number(process.env.BENCH_NETNS_SCRAPES ?? 15);
const WARMUP = 2;
const TOTAL_RULES = 10_000;

interface Scenario {
  name: string;
  /** Namespaces to make (none: the rules go into the bench's own) and rules in each. */
  namespaces: number;
  rulesEach: number;
  netnsArgs: (prefix: string) => string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: "own namespace, 10,000 rules (no -netns)",
    namespaces: 0,
    rulesEach: TOTAL_RULES,
    netnsArgs: () => [],
  },
  {
    name: "1 namespace × 10,000 rules (-netns NAME)",
    namespaces: 1,
    rulesEach: TOTAL_RULES,
    netnsArgs: (prefix) => ["-netns", `${prefix}0`],
  },
  {
    name: "10 namespaces × 1,000 rules (-netns GLOB)",
    namespaces: 10,
    rulesEach: TOTAL_RULES / 10,
    netnsArgs: (prefix) => ["-netns", `${prefix}*`],
  },
];

/** Namespaces this run made, deleted in any case. */
const made = new Set<string>();

function sh(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
}

function deleteNamespaces(): void {
  for (const name of made) spawnSync("ip", ["netns", "del", name]);
  made.clear();
}

/** load puts `rules` rules into the bench table of namespace `name` (undefined: this process's own). */
function load(name: string | undefined, rules: number, dir: string): void {
  const file = join(dir, "ruleset.nft");
  writeFileSync(file, rulesetText(rules));
  if (name === undefined) sh("nft", ["-f", file]);
  else sh("ip", ["netns", "exec", name, "nft", "-f", file]);
  rmSync(file);
}

async function benchOne(s: Scenario, prefix: string, dir: string): Promise<string> {
  const names = Array.from({ length: s.namespaces }, (_, i) => `${prefix}${i}`);
  for (const name of names) {
    made.add(name);
    sh("ip", ["netns", "add", name]);
    load(name, s.rulesEach, dir);
  }
  if (names.length === 0) load(undefined, s.rulesEach, dir);
  const args = [...BENCH_CHAIN_FLAGS, ...s.netnsArgs(prefix)];
  const { child, webPid } = await startExporter(args, PORT, join(dir, "exporter.log"));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < WARMUP; i++) await httpGet(PORT, "/metrics", agent);
    const ms: number[] = [];
    const cpu = () => cpuMs(child.pid as number) + cpuMs(webPid);
    const cpu0 = cpu();
    for (let i = 0; i < K; i++) {
      const r = await httpGet(PORT, "/metrics", agent);
      const series = r.body.split("\n").filter((l) => l.startsWith("nfprom_bytes_total{")).length;
      const up = r.body.split("\n").filter((l) => /^nfprom_up(\{.*\})? 1$/.test(l)).length;
      if (r.status !== 200 || series !== TOTAL_RULES || up !== Math.max(1, s.namespaces)) {
        throw new Error(`${s.name}: status ${r.status}, ${series} series, ${up} namespaces up`);
      }
      ms.push(r.ms);
    }
    const cpuPerScrape = (cpu() - cpu0) / K;
    const d = dist(ms);
    const [reader, web] = [statusKiB(child.pid as number, "VmHWM"), statusKiB(webPid, "VmHWM")];
    process.stderr.write(`bench netns: ${s.name}: p50 ${fmtMs(d.p50)}, CPU ${fmtMs(cpuPerScrape)}\n`);
    return `| ${s.name} | ${fmtMs(d.p50)} | ${fmtMs(d.p95)} | ${fmtMs(cpuPerScrape)} | ${mib(reader)} | ${mib(web)} |`;
  } finally {
    agent.destroy();
    await stopExporter(child);
    if (names.length === 0) spawnSync("nft", ["delete", "table", BENCH_FAMILY, BENCH_TABLE]);
    deleteNamespaces();
  }
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const own = process.env.BENCH_NETNS;
  const caller = process.env.BENCH_CALLER_NETNS;
  if (!own || !caller || readlinkSync("/proc/self/ns/net") === caller) {
    throw new Error("run me through scripts/bench.sh: refusing to touch the caller's ruleset");
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      deleteNamespaces();
      process.exit(130);
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "nfprom-bench-netns-"));
  const rows: string[] = [];
  try {
    for (const s of SCENARIOS) rows.push(await benchOne(s, `${own}-n`, dir));
  } finally {
    deleteNamespaces();
    rmSync(dir, { recursive: true, force: true });
  }
  const section = `
## Several network namespaces (bench/netns.ts)

The same ${TOTAL_RULES.toLocaleString("en")} counted rules, read in nfprom's own namespace, in one other (\`-netns\`),
and as ten namespaces of ${(TOTAL_RULES / 10).toLocaleString("en")} (\`-netns\` glob: ten collectors, each with its
sockets, whole-read proof and label plan, read concurrently; the web process merges their families). ${K}
scrapes after ${WARMUP} untimed ones over one keep-alive connection, checked for ${TOTAL_RULES.toLocaleString("en")}
series and every namespace up. **CPU**: reader + web, user + system, per scrape (/proc, 10 ms ticks). **RSS**: peak.

| read | e2e p50 | e2e p95 | CPU/scrape | RSS reader | RSS web |
|---|---:|---:|---:|---:|---:|
${rows.join("\n")}
`;
  const out = process.env.BENCH_OUT || join(REPO_ROOT, "bench/RESULTS.md");
  appendFileSync(out, section);
  process.stdout.write(section);
}

main().catch((err: unknown) => {
  deleteNamespaces();
  process.stderr.write(
    `bench netns failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
