import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { type ParseResult, parseArgs } from "../../../src/cli/flags.js";
import { type Config, policyOptions } from "../../../src/config/config.js";
import { toErrorInfo } from "../../../src/errors.js";
import { OPENMETRICS_FORMAT } from "../../../src/exposition/openmetrics.js";
import { type ExpositionFormat, TEXT_FORMAT } from "../../../src/exposition/text.js";
import { ColumnElider, ColumnRestorer } from "../../../src/ipc/elision.js";
import {
  decodeReaderMessage,
  encodeReaderMessage,
  fromWire,
  type ReadReply,
  toWire,
  type WireReadReply,
} from "../../../src/ipc/protocol.js";
import type { Snapshot } from "../../../src/model/snapshot.js";
import { readerStats } from "../../../src/reader/setup.js";
import { collectorFor } from "../../../src/reader/sources.js";
import { Scraper } from "../../../src/render/scrape.js";
import { FakeKernel, type Fault } from "../helpers/fake-kernel.js";
import { repoRoot } from "../helpers/fixtures.js";
import { CaptureLogger } from "../helpers/logger.js";

/**
 * Golden expositions: every captured kernel dump (test/fixtures/) goes through the whole pipeline as the
 * running exporter does it (flags → reader and sources over a fake kernel replaying the captures →
 * IPC encode, elision, decode → label policy → text and OpenMetrics), and the result must equal, byte for
 * byte, the files in test/golden/, made on the code before a refactoring. What varies from run to run
 * (the scrape's own duration, read times, the Node version) is fixed before the comparison.
 * `UPDATE_GOLDEN=1` rewrites the files instead: only for a change meant to alter the output.
 */
const GOLDEN_DIR = path.join(repoRoot(), "test", "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

interface Scenario {
  /** The golden files' name. */
  name: string;
  /** The command line (after `dump`). */
  flags: string[];
  /** The captures the fake kernel answers from (test/fixtures/<name>.json). */
  captures: string[];
  /** Captures whose replay goes wrong at the socket (the kernel's answer stops, or the call fails). */
  faults?: Record<string, Fault>;
}

const CHAIN = ["-family", "inet", "-table", "firewall", "-chain", "accounting"];
const SETS_OF = (names: string[], prefix: string) => names.map((n) => `sources/${prefix}-${n}`);

const SCENARIOS: Scenario[] = [
  { name: "basic", flags: CHAIN, captures: ["basic"] },
  { name: "basic-all-rules", flags: [...CHAIN, "-all-rules"], captures: ["basic"] },
  { name: "basic-duplicates-handle", flags: [...CHAIN, "-duplicates", "handle"], captures: ["basic"] },
  { name: "basic-duplicates-error", flags: [...CHAIN, "-duplicates", "error"], captures: ["basic"] },
  { name: "basic-max-label-names", flags: [...CHAIN, "-max-label-names", "2"], captures: ["basic"] },
  { name: "bigcounters", flags: CHAIN, captures: ["bigcounters"] },
  { name: "multipart", flags: CHAIN, captures: ["multipart"] },
  { name: "matches", flags: CHAIN, captures: ["matches"] },
  {
    name: "matches-rule-labels",
    flags: [
      ...CHAIN,
      "-rule-labels",
      "address,port,saddr,daddr,sport,dport,l4proto,nfproto,iifname,oifname,ct_state",
    ],
    captures: ["matches", "setelem-addresses", "setelem-ports"],
  },
  {
    name: "matches-rule-labels-short-values",
    flags: [...CHAIN, "-rule-labels", "address,port", "-max-label-value-length", "8"],
    captures: ["matches", "setelem-addresses", "setelem-ports"],
  },
  {
    name: "missing-table",
    flags: ["-family", "inet", "-table", "nosuchtable"],
    captures: ["missing-table", "kernel/chain-missing-table"],
  },
  { name: "eperm", flags: CHAIN, captures: ["kernel/rules-eperm"] },
  {
    name: "timeout",
    flags: CHAIN,
    captures: [],
    faults: { basic: { kind: "silent-after", datagrams: 1 } },
  },
  {
    name: "objects-failing",
    flags: [...CHAIN, "-counters", "*/*"],
    captures: ["basic"],
    faults: { "sources/objects": { kind: "recv-errno", errno: 105 } },
  },
  { name: "rules-objref", flags: CHAIN, captures: ["sources/rules-objref"] },
  { name: "empty", flags: CHAIN, captures: ["empty", "chain-found"] },
  {
    name: "chains",
    flags: ["-chains", "inet/firewall/accounting"],
    captures: ["sources/chains", "basic"],
  },
  {
    name: "objects",
    flags: [...CHAIN, "-counters", "*/*", "-quotas", "inet/firewall/*"],
    captures: ["basic", "sources/objects"],
  },
  {
    name: "sets-counters",
    flags: [...CHAIN, "-sets", "inet/firewall/[cnvp]*", "-sets.max-elements", "2"],
    captures: [
      "basic",
      "sources/sets",
      ...SETS_OF(["clients", "nets", "v6", "ports", "pairs"], "setelem-counters"),
    ],
  },
  {
    name: "sets-shapes",
    flags: [...CHAIN, "-sets", "*/*/*"],
    captures: ["basic", "sources/sets-shapes", ...SETS_OF(["cc", "eth", "v6n", "vm"], "setelem-shapes")],
  },
  {
    name: "sets-keys",
    flags: [...CHAIN, "-sets", "*/*/*"],
    captures: ["basic", "sources/sets-keys", ...SETS_OF(["et", "mk", "mkp", "pr"], "setelem-keys")],
  },
  { name: "tables", flags: [...CHAIN, "-tables", "*"], captures: ["basic", "sources/tables"] },
  {
    name: "adjacent-intervals",
    flags: [...CHAIN, "-sets", "*/*/*", "-rule-labels", "address,saddr"],
    captures: [
      "kernel/rules-adjacent",
      "kernel/setelem-adjacent-anonymous",
      "kernel/sets-adjacent",
      "kernel/setelem-adjacent",
    ],
  },
];

/** What a fresh read would vary from run to run; the goldens hold these values instead. */
const READ_AT_MS = 1_700_000_000_000;

/** configOf parses a `dump` command line, as the CLI does. */
function configOf(flags: string[]): Config {
  const parsed = parseArgs(["dump", ...flags]);
  assert.equal(parsed.kind, "run");
  return (parsed as Extract<ParseResult, { kind: "run" }>).config;
}

/** readThrough makes one read of the scenario's flags, as the reader does, over the fake kernel. */
async function readThrough(scenario: Scenario, kernel: FakeKernel): Promise<ReadReply> {
  const config = configOf(["-read.skip-proof", ...scenario.flags]);
  const collector = collectorFor(
    config,
    {
      maxAttempts: 1,
      maxReadMs: 5_000,
      recvTimeoutMs: 1_000,
      ruleLabels: config.ruleLabels,
      openSocket: kernel.open,
    },
    new CaptureLogger(),
  );
  try {
    const stats = () => ({ ...readerStats(collector), residentBytes: 0, cpuSeconds: 0 });
    try {
      const snapshot = steady(await collector.read(Date.now() + 5_000));
      return { type: "snapshot", id: 1, snapshot, stats: stats() };
    } catch (err) {
      return { type: "error", id: 1, error: toErrorInfo(err), stats: stats() };
    }
  } finally {
    collector.close();
  }
}

/** steady fixes a snapshot's times, which no two runs share. */
function steady(snapshot: Snapshot): Snapshot {
  const sources = snapshot.sources?.map((s) => ({ ...s, durationMs: 3 }));
  return { ...snapshot, readAtMs: READ_AT_MS, readDurationMs: 2, ...(sources && { sources }) };
}

/** crossBoundary sends a reply through the IPC the way reader and web process do (elision included). */
function crossBoundary(reply: ReadReply, elider: ColumnElider, restorer: ColumnRestorer): ReadReply {
  const wire = decodeReaderMessage(encodeReaderMessage(elider.elide(toWire(reply)))) as WireReadReply;
  restorer.restore(wire);
  return fromWire(wire);
}

/** steadyText replaces the values of the exposition that depend on the run, not on the input. */
function steadyText(text: string): string {
  return text
    .replaceAll(process.version, "vNODE")
    .replace(/^(nfprom_scrape_duration_seconds) \S+$/m, "$1 SCRAPE_SECONDS");
}

function compare(file: string, got: string): void {
  const at = path.join(GOLDEN_DIR, file);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(at, got);
    return;
  }
  assert.ok(existsSync(at), `${file} missing: make it with UPDATE_GOLDEN=1 on the code before the change`);
  assert.equal(got, readFileSync(at, "utf8"), `${file} differs from the golden`);
}

function render(scraper: Scraper, reply: ReadReply, format: ExpositionFormat): string {
  return steadyText(String(scraper.render(reply, process.hrtime.bigint(), format)));
}

for (const scenario of SCENARIOS) {
  test(`golden: ${scenario.name} (${scenario.flags.join(" ")})`, async () => {
    const kernel = new FakeKernel(scenario.captures);
    for (const [capture, fault] of Object.entries(scenario.faults ?? {})) kernel.answer(capture, fault);
    const reply = await readThrough(scenario, kernel);
    assert.deepEqual(kernel.unanswered, [], "every request was answered from a capture");
    const config = configOf(scenario.flags);
    const log = new CaptureLogger();
    const scraper = new Scraper(config.namespace, log, undefined, policyOptions(config));
    const [elider, restorer] = [new ColumnElider(), new ColumnRestorer()];
    const text = render(scraper, crossBoundary(reply, elider, restorer), TEXT_FORMAT);
    const logged = log.take().map((e) => JSON.stringify(e, (_, v) => (typeof v === "bigint" ? `${v}` : v)));
    // The second scrape of an unchanged chain reuses the policy's plan and the elided columns.
    const again = render(scraper, crossBoundary(reply, elider, restorer), TEXT_FORMAT);
    const openMetrics = render(scraper, crossBoundary(reply, elider, restorer), OPENMETRICS_FORMAT);
    compare(`${scenario.name}.prom`, text);
    compare(`${scenario.name}.om`, openMetrics);
    compare(`${scenario.name}.log.txt`, `${logged.join("\n")}\n`);
    assert.equal(again, text, "a second scrape of the same read renders the same");
    const rules = log.take().filter((e) => e.msg.startsWith("rule "));
    assert.deepEqual(rules, [], "a rule reported once is not reported again");
  });
}
