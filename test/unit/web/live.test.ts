import assert from "node:assert/strict";
import { test } from "node:test";
import { formatLabels, parseLabels } from "../../../src/exposition/text.js";
import { fromWire, toWire } from "../../../src/ipc/protocol.js";
import { columnsFromRules } from "../../../src/model/rule-columns.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";
import { Scraper } from "../../../src/render/scrape.js";
import { LIVE_FRESH_MS, LiveView, liveAnswer, parseLiveQuery } from "../../../src/web/live.js";
import { CaptureLogger } from "../helpers/logger.js";

const STATS = {
  retries: { dump_interrupted: 0, ruleset_changed: 0 },
  staleServed: { ruleset_changing: 0, timeout: 0 },
  readErrors: {},
  residentBytes: 1,
  cpuSeconds: 0,
};

function rule(handle: number, comment: string | undefined, bytes: bigint | undefined): RuleCounters {
  return {
    family: 1,
    handle: BigInt(handle),
    comment,
    bytes,
    packets: bytes === undefined ? undefined : bytes / 100n,
  };
}

/** A scraper that has taken one read of `rules`. */
function scraped(rules: RuleCounters[]): Scraper {
  const scraper = new Scraper("nfprom", new CaptureLogger());
  const reply = toWire({
    type: "snapshot",
    id: 1,
    snapshot: {
      family: "inet",
      table: "firewall",
      chain: "accounting",
      readAtMs: 1_700_000_000_000,
      readDurationMs: 1,
      attempts: 1,
      rules: columnsFromRules(rules),
    },
    stats: STATS,
  });
  scraper.take(fromWire(reply), process.hrtime.bigint());
  return scraper;
}

interface Answer {
  series: {
    total: number;
    matched: number;
    rows: { kind: string; key: string; labels: [string, string][]; bytes: string; packets: string }[];
  };
  families: { name: string; samples: { labels: [string, string][]; value: string }[] }[];
  findings: {
    total: number;
    severities: Record<string, number>;
    rows: { handle?: string; severity: string; problem: string }[];
  };
}

function answer(scraper: Scraper, query: string): Answer {
  const last = scraper.last;
  assert.ok(last);
  return JSON.parse(
    liveAnswer(last, scraper.findings(), parseLiveQuery(new URLSearchParams(query)), "nfprom", "/metrics"),
  );
}

const HOSTILE = `<script>alert("x")</script>'\n\\`;

test("parseLabels reads formatLabels' text back, escapes and all", () => {
  const values = [HOSTILE, "", 'a="b",c="d"'];
  assert.deepEqual(parseLabels(formatLabels(["a", "b", "c"], values)), [
    ["a", HOSTILE],
    ["b", ""],
    ["c", 'a="b",c="d"'],
  ]);
});

test("the live answer pages, filters and sorts the series; bigints stay exact; other families come whole", () => {
  const rules = Array.from({ length: 250 }, (_, i) =>
    rule(i + 1, `nft(svc=s${String(i).padStart(3, "0")})`, BigInt(i) * 1000n),
  );
  rules.push(rule(900, `nft(svc=${HOSTILE.replace(";", "")})`, 2n ** 64n - 1n));
  const scraper = scraped(rules);
  const first = answer(scraper, "");
  assert.equal(first.series.total, 251);
  assert.equal(first.series.rows.length, 100, "a page of 100 by default");
  // Label order: "<" sorts before "s".
  assert.deepEqual(first.series.rows[1]?.labels, [["svc", "s000"]]);
  const big = answer(scraper, "sort=bytes&order=desc&limit=1").series.rows[0];
  assert.equal(big?.bytes, "18446744073709551615");
  assert.deepEqual(big?.labels, [["svc", HOSTILE.replace(";", "")]]);
  const page3 = answer(scraper, "offset=200&limit=100");
  assert.equal(page3.series.rows.length, 51);
  const filtered = answer(scraper, 'filter=svc="s12');
  assert.equal(filtered.series.matched, 10);
  assert.equal(filtered.series.total, 251);
  assert.ok(filtered.series.rows.every((r) => r.kind === "rule" && r.labels[0]?.[1]?.startsWith("s12")));
  assert.equal(answer(scraper, "limit=100000").series.rows.length, 251, "limit capped at 1000 rows");
  assert.equal(answer(scraper, "kind=set_element").series.matched, 0);
  const up = first.families.find((f) => f.name === "nfprom_up");
  assert.deepEqual(up?.samples, [{ labels: [], value: "1" }]);
  assert.ok(!first.families.some((f) => f.name === "nfprom_bytes_total"), "series only in the table");
});

test("the findings are nfprom check's, from the policy's verdicts, with handles", () => {
  const scraper = scraped([
    rule(1, "nft(svc=web)", 10n),
    rule(2, "nft(1bad=x)", 10n),
    rule(3, undefined, 10n),
    rule(4, "nft(job=x)", 10n),
  ]);
  const { findings } = answer(scraper, "");
  assert.deepEqual(findings.severities, { error: 1, warning: 2, info: 1 });
  assert.deepEqual(
    findings.rows.map((f) => [f.handle, f.severity]),
    [
      ["2", "error"],
      ["3", "info"],
      ["4", "warning"],
      ["4", "warning"],
    ],
  );
  assert.match(findings.rows[0]?.problem ?? "", /not a valid label name/);
  assert.equal(answer(scraper, "findings_offset=3").findings.rows.length, 1);
});

test("LiveView reads only when the last scrape is older than LIVE_FRESH_MS, once for concurrent viewers", async () => {
  const scraper = scraped([rule(1, "nft(svc=web)", 10n)]);
  let reads = 0;
  let at = Date.now();
  const view = new LiveView(
    () => (scraper.last ? { ...scraper.last, atMs: at } : undefined),
    () => [],
    async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 20));
      at = Date.now();
    },
    "nfprom",
    "/metrics",
  );
  await view.answer(new URLSearchParams());
  assert.equal(reads, 0, "fresh data is answered as it is");
  at = Date.now() - LIVE_FRESH_MS - 1;
  await Promise.all([1, 2, 3].map(() => view.answer(new URLSearchParams())));
  assert.equal(reads, 1, "three viewers, one read");
});
