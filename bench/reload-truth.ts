/**
 * The raw experiment behind nftables/generation.ts (results: docs/reload-truth.md). Run as root; it makes
 * its own network namespace. Two rulesets of N counted rules, each file beginning `flush ruleset`, are
 * loaded alternately with `nft -f` while this process dumps the chain in a loop, and every dump is
 * classified: whole (N rules, all of one ruleset), short, or mixed. Modes:
 *   plain    — rule dump on one reused socket, as a reader without the proof does
 *   fresh    — the same, a new socket per dump
 *   proven   — the dump bracketed by provenWhole (generation, barrier, dump, barrier, generation)
 * A dump flagged NLM_F_DUMP_INTR, out of order (RuleOrder) or with a moved generation is "rejected".
 *
 *   node dist/bench/reload-truth.js [rules=2000] [seconds=20] [modes=plain,fresh,proven] [pauseMs=0]
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NfpromError } from "../src/errors.js";
import { NETLINK_NETFILTER } from "../src/netlink/constants.js";
import { RawNetlinkSocket } from "../src/netlink/socket.js";
import { dumpRules } from "../src/nftables/chain-dump.js";
import { FAMILIES } from "../src/nftables/constants.js";
import { WholeReadProof } from "../src/nftables/generation.js";

const [rules = 2000, seconds = 20] = process.argv.slice(2, 4).map(Number);
const modes = (process.argv[4] ?? "plain,fresh,proven").split(",");
const pauseMs = Number(process.argv[5] ?? 0);
const ns = `nfprom-truth-${process.pid}`;

if (!process.env.NFPROM_IN_NETNS) {
  execFileSync("ip", ["netns", "add", ns]);
  try {
    execFileSync("ip", ["netns", "exec", ns, process.execPath, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, NFPROM_IN_NETNS: "1" },
    });
  } finally {
    execFileSync("ip", ["netns", "del", ns]);
  }
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "nfprom-truth-"));
const files = ["a", "b"].map((tag) => {
  const body = Array.from(
    { length: rules },
    (_, i) => `    tcp dport ${1000 + i} counter comment "nft(set=${tag};i=${i})"`,
  );
  const file = join(dir, `${tag}.nft`);
  writeFileSync(
    file,
    `flush ruleset\ntable inet firewall {\n  chain accounting {\n${body.join("\n")}\n  }\n}\n`,
  );
  return file;
});
execFileSync("nft", ["-f", files[0] as string]);

const loader = spawn(
  "bash",
  [
    "-c",
    `while :; do nft -f ${files[1]}; sleep ${pauseMs / 1000}; nft -f ${files[0]}; sleep ${pauseMs / 1000}; done`,
  ],
  { stdio: "ignore" },
);

const ref = { family: FAMILIES.inet, table: "firewall", chain: "accounting" };
const MARK = { a: Buffer.from("set=a;"), b: Buffer.from("set=b;") };

type Outcome = "whole" | "short" | "mixed" | "rejected" | "error";

async function dumpOnce(sock: RawNetlinkSocket): Promise<{ a: number; b: number }> {
  const seen = { a: 0, b: 0 };
  await dumpRules(
    sock,
    ref,
    (msg) => {
      if (msg.payload.includes(MARK.a)) seen.a++;
      else if (msg.payload.includes(MARK.b)) seen.b++;
    },
    () => false,
  );
  return seen;
}

function classify(seen: { a: number; b: number }): Outcome {
  if (seen.a > 0 && seen.b > 0) return "mixed";
  return seen.a + seen.b === rules ? "whole" : "short";
}

async function run(mode: string): Promise<void> {
  // "quiet-<mode>": the same loop with the loader paused, to measure what the proof costs by itself.
  const quiet = mode.startsWith("quiet-");
  loader.kill(quiet ? "SIGSTOP" : "SIGCONT");
  if (quiet) mode = mode.slice("quiet-".length);
  const reopenUs: number[] = [];
  const counts: Record<Outcome, number> = { whole: 0, short: 0, mixed: 0, rejected: 0, error: 0 };
  const shortSizes = new Set<number>();
  const proofUs: number[] = [];
  let sock = RawNetlinkSocket.open({ protocol: NETLINK_NETFILTER, recvTimeoutMs: 5000 });
  const proof = new WholeReadProof({ recvTimeoutMs: 5000 });
  const stopAt = Date.now() + (seconds as number) * 1000;
  while (Date.now() < stopAt) {
    if (mode === "fresh") {
      const t0 = performance.now();
      sock.close();
      sock = RawNetlinkSocket.open({ protocol: NETLINK_NETFILTER, recvTimeoutMs: 5000 });
      reopenUs.push((performance.now() - t0) * 1000);
    }
    try {
      let seen: { a: number; b: number };
      if (mode === "proven") {
        const started = performance.now();
        let dumpMs = 0;
        const before = await proof.begin();
        const d0 = performance.now();
        seen = await dumpOnce(sock);
        dumpMs = performance.now() - d0;
        await proof.end(before);
        proofUs.push((performance.now() - started - dumpMs) * 1000);
      } else {
        seen = await dumpOnce(sock);
      }
      const outcome = classify(seen);
      counts[outcome]++;
      if (outcome === "short") shortSizes.add(seen.a + seen.b);
    } catch (err) {
      const code = err instanceof NfpromError ? err.code : "";
      if (code === "NFPROM_DUMP_INTR" || code === "NFPROM_RULESET_CHANGED") counts.rejected++;
      else counts.error++;
      sock.close();
      sock = RawNetlinkSocket.open({ protocol: NETLINK_NETFILTER, recvTimeoutMs: 5000 });
    }
  }
  sock.close();
  proof.close();
  const p50 = median(proofUs);
  const reopenP50 = median(reopenUs);
  console.log(
    JSON.stringify({
      mode: quiet ? `quiet-${mode}` : mode,
      rules,
      seconds,
      ...counts,
      shortSizes: [...shortSizes].sort((x, y) => x - y).slice(0, 12),
      ...(p50 !== undefined && { proofOverheadUsP50: Math.round(p50) }),
      ...(reopenP50 !== undefined && { reopenUsP50: Math.round(reopenP50) }),
      readsPerSecond: Math.round(Object.values(counts).reduce((a, b) => a + b, 0) / (seconds as number)),
    }),
  );
}

function median(xs: number[]): number | undefined {
  xs.sort((x, y) => x - y);
  return xs[Math.floor(xs.length / 2)];
}

try {
  for (const mode of modes) await run(mode);
} finally {
  loader.kill("SIGCONT");
  loader.kill();
  rmSync(dir, { recursive: true, force: true });
}
