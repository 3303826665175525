// Issue 15: counter truth under reloads. Two rulesets that differ in every label value and counter are
// swapped in a tight loop while another process (truth-scraper.ts, inside the namespace) scrapes
// continuously; every scrape that says nfprom_up 1 must hold exactly one ruleset's series, complete and
// exact, for the single chain (2,000 and 20,000 rules), for every source at once (-chains, -counters,
// -quotas, -sets), and under non-atomic churn (table deleted, chain flushed, rules re-added), where the
// states in between are committed rulesets too.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Netns, requireRoot, startNfprom } from "./harness.js";
import { SOURCES, series } from "./truth-judge.js";

/** How long each churn runs while scraping (the issue asks for at least 30 s). */
const CHURN_MS = 30_000;
const SCRAPER_JS = fileURLToPath(new URL("./truth-scraper.js", import.meta.url));

interface Churn {
  name: string;
  /** Writes the first ruleset to load and the loop script that churns ($1: the file that stops it). */
  files: (dir: string) => { first: string; script: string };
  args: string[];
  /** truth-scraper.ts arguments after URL and duration: the judge and its size. */
  judge: string[];
  /** Share of scrapes that must be nfprom_up 1 (non-atomic churn really removes the table at times). */
  minUpShare: number;
}

interface Tally {
  scrapes: number;
  httpErrors: number;
  up: number;
  a: number;
  b: number;
  empty: number;
  stale: number;
  fresh: number;
  maxMs: number;
}

async function runChurn(t: TestContext, churn: Churn): Promise<void> {
  const ns = await Netns.create(`truth-${churn.name}`, { t });
  const dir = ns.tempDir();
  const { first, script } = churn.files(dir);
  const load = await ns.exec("nft", ["-f", first]);
  assert.equal(load.code, 0, load.stderr);
  const h = await startNfprom(ns, ["-read-timeout", "8s", ...churn.args], { readyTimeoutMs: 30_000 });
  const stop = join(dir, "stop");
  const loader = ns.spawn("sh", [script, stop]);
  let loaderErr = "";
  loader.stderr?.on("data", (c: Buffer) => {
    loaderErr += c;
  });
  const loaderExit = new Promise<number | null>((resolve) => loader.once("exit", (c) => resolve(c)));
  let scraped: { tally: Tally; wrong: string[] };
  try {
    const r = await ns.exec(process.execPath, [SCRAPER_JS, h.metricsUrl, String(CHURN_MS), ...churn.judge], {
      timeoutMs: CHURN_MS + 60_000,
    });
    assert.equal(r.code, 0, `scraper failed: ${r.stderr}`);
    scraped = JSON.parse(r.stdout);
  } finally {
    writeFileSync(stop, "");
  }
  assert.equal(await loaderExit, 0, `reload loop failed: ${loaderErr}`);
  const last = await h.scrape();
  const retries = series(last.body, "nfprom_read_retries_total").map(([l, v]) => `${l}=${v}`);
  const staleServed = series(last.body, "nfprom_stale_served_total").map(([l, v]) => `${l}=${v}`);
  const { tally, wrong } = scraped;
  t.diagnostic(
    `${churn.name}: ${JSON.stringify(tally)} retries ${retries.join(" ")} stale ${staleServed.join(" ")}`,
  );
  assert.deepEqual(wrong, [], "a scrape with nfprom_up 1 was not one whole ruleset");
  assert.equal(tally.httpErrors, 0, "HTTP errors during the churn");
  assert.ok(tally.a > 0 && tally.b > 0, `both rulesets must have been served: ${JSON.stringify(tally)}`);
  assert.ok(
    tally.up >= churn.minUpShare * tally.scrapes,
    `${tally.up} of ${tally.scrapes} scrapes were nfprom_up 1`,
  );
  await h.stop();
}

/** The loop that swaps two ruleset files, each beginning `flush ruleset` (one atomic transaction). */
function swapScript(dir: string, a: string, b: string): string {
  const script = join(dir, "swap.sh");
  writeFileSync(script, `while [ ! -e "$1" ]; do nft -f ${b} || exit 1; nft -f ${a} || exit 1; done\n`);
  return script;
}

/** chainFile: rule i counts `packets 1|2 bytes i` and is labelled rs=<a|b>, idx=<a|b><i>. */
function chainFile(dir: string, rs: string, n: number, header = "flush ruleset\n"): string {
  const lines = [header, "table inet firewall {", "  chain accounting {"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `    tcp dport ${i + 1} counter packets ${rs === "a" ? 1 : 2} bytes ${i} comment "nft(rs=${rs};idx=${rs}${i})"`,
    );
  }
  lines.push("  }", "}", "");
  const file = join(dir, `${rs}.nft`);
  writeFileSync(file, lines.join("\n"));
  return file;
}

function chainChurn(n: number): Churn {
  return {
    name: `chain-${n}`,
    files: (dir) => {
      const a = chainFile(dir, "a", n);
      return { first: a, script: swapScript(dir, a, chainFile(dir, "b", n)) };
    },
    args: [],
    judge: ["chain", String(n)],
    minUpShare: 0.95,
  };
}

test("reloads, 2,000 rules: every nfprom_up 1 scrape is one whole ruleset", async (t) => {
  if (!requireRoot(t)) return;
  await runChurn(t, chainChurn(2_000));
});

test("reloads, 20,000 rules: every nfprom_up 1 scrape is one whole ruleset", async (t) => {
  if (!requireRoot(t)) return;
  await runChurn(t, chainChurn(20_000));
});

function sourcesFile(dir: string, rs: string): string {
  const k = rs === "a" ? 1 : 2;
  const lines = ["flush ruleset", "table inet firewall {"];
  for (let i = 0; i < SOURCES.counters; i++) {
    lines.push(`  counter c${i} { packets ${k} bytes ${i}; comment "nft(rs=${rs};idx=${rs}${i})"; }`);
  }
  for (let i = 0; i < SOURCES.quotas; i++) {
    lines.push(
      `  quota q${i} { until ${1000 + i} bytes used ${k} bytes; comment "nft(rs=${rs};idx=${rs}${i})"; }`,
    );
  }
  const elements = Array.from(
    { length: SOURCES.elements },
    (_, i) =>
      `10.${k}.${i >> 8}.${i & 255} counter packets ${k} bytes ${i} comment "nft(rs=${rs};idx=${rs}${i})"`,
  );
  lines.push(`  set hosts { type ipv4_addr; counter; elements = { ${elements.join(", ")} } }`);
  for (let c = 0; c < SOURCES.chains; c++) {
    lines.push(`  chain acct_${c} {`);
    for (let r = 0; r < SOURCES.rulesPerChain; r++) {
      const i = c * SOURCES.rulesPerChain + r;
      lines.push(
        `    tcp dport ${r + 1} counter packets ${k} bytes ${i} comment "nft(rs=${rs};idx=${rs}${i})"`,
      );
    }
    lines.push("  }");
  }
  lines.push("}", "");
  const file = join(dir, `${rs}.nft`);
  writeFileSync(file, lines.join("\n"));
  return file;
}

test("reloads with every source: rules of several chains, counters, quotas, set elements, never mixed", async (t) => {
  if (!requireRoot(t)) return;
  await runChurn(t, {
    name: "sources",
    files: (dir) => {
      const a = sourcesFile(dir, "a");
      return { first: a, script: swapScript(dir, a, sourcesFile(dir, "b")) };
    },
    args: [
      "-chains",
      "firewall/acct_*",
      "-counters",
      "firewall/*",
      "-quotas",
      "firewall/*",
      "-sets",
      "firewall/*",
    ],
    judge: ["sources"],
    minUpShare: 0.95,
  });
});

test("non-atomic churn: table deleted, chain flushed, rules re-added; up 1 only for committed states", async (t) => {
  if (!requireRoot(t)) return;
  const n = 2_000;
  await runChurn(t, {
    name: "non-atomic",
    files: (dir) => {
      const a = chainFile(dir, "a", n, "");
      const b = chainFile(dir, "b", n, "");
      const script = join(dir, "churn.sh");
      // Each command is its own transaction: no table, then b; an empty chain, no table, then a.
      writeFileSync(
        script,
        `while [ ! -e "$1" ]; do
  nft delete table inet firewall || exit 1
  nft -f ${b} || exit 1
  nft flush chain inet firewall accounting || exit 1
  nft delete table inet firewall || exit 1
  nft -f ${a} || exit 1
done\n`,
      );
      return { first: a, script };
    },
    args: [],
    judge: ["non-atomic", String(n)],
    // The table really is absent between `delete table` and the next load, much of the time (16 % up
    // measured): what matters is that up 0 then says no_table and every up 1 is a committed state.
    minUpShare: 0.05,
  });
});
