import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromWire, type ReadReply, toWire } from "../../../src/ipc/protocol.js";
import { columnsFromRules } from "../../../src/model/rule-columns.js";
import type { ReaderStats, RuleCounters } from "../../../src/model/snapshot.js";
import { Scraper } from "../../../src/render/scrape.js";
import { bigOrUndefined, loadFixture } from "../helpers/fixtures.js";
import { CaptureLogger } from "../helpers/logger.js";
import { checkMetrics, promtoolMissing } from "../helpers/promtool.js";

const STATS: ReaderStats = {
  retries: { dump_interrupted: 2, ruleset_changed: 0 },
  staleServed: { ruleset_changing: 0, timeout: 0 },
  readErrors: { NFPROM_EPERM: 1 },
  residentBytes: 1234,
  cpuSeconds: 0.5,
};

/** nfprom_read_errors_total for STATS: every known reason is there from the start, so increase() sees the
 * first failure of each. */
const READ_ERRORS = [
  'nfprom_read_errors_total{reason="eperm"} 1',
  'nfprom_read_errors_total{reason="no_table"} 0',
  'nfprom_read_errors_total{reason="dump_intr"} 0',
  'nfprom_read_errors_total{reason="ruleset_changed"} 0',
  'nfprom_read_errors_total{reason="decode"} 0',
  'nfprom_read_errors_total{reason="timeout"} 0',
  'nfprom_read_errors_total{reason="netlink"} 0',
  'nfprom_read_errors_total{reason="socket"} 0',
  'nfprom_read_errors_total{reason="internal"} 0',
];

/** The basic fixture's rules, as the reader puts them into a snapshot. */
const BASIC: RuleCounters[] = loadFixture("basic").rules.map((r) => ({
  family: 1,
  handle: BigInt(r.handle),
  comment: r.comment ?? undefined,
  bytes: bigOrUndefined(r.bytes),
  packets: bigOrUndefined(r.packets),
}));

/** snapshot is a reply as the web process has it: through the wire form, as from the reader. */
function snapshot(rules: RuleCounters[], id = 1): ReadReply {
  return fromWire(
    toWire({
      type: "snapshot",
      id,
      snapshot: {
        family: "inet",
        table: "firewall",
        chain: "accounting",
        readAtMs: 1_700_000_000_500,
        readDurationMs: 1,
        attempts: 1,
        rules: columnsFromRules(rules),
      },
      stats: STATS,
    }),
  );
}

const ERROR: ReadReply = {
  type: "error",
  id: 2,
  error: {
    code: "NFPROM_EPERM",
    message: "reading nftables needs root or CAP_NET_ADMIN (kernel said EPERM)",
  },
  stats: STATS,
};

function render(scraper: Scraper, input: Parameters<Scraper["render"]>[0]): string[] {
  const text = String(scraper.render(input, process.hrtime.bigint()));
  assert.ok(text.endsWith("\n"));
  return text.split("\n");
}

function samples(lines: string[], name: string): string[] {
  return lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("Scraper.render", () => {
  test("a snapshot: one series per label set, sorted union of keys, rule states, nfprom_up 1", () => {
    const log = new CaptureLogger();
    const lines = render(new Scraper("nfprom", log), snapshot(BASIC));
    const labels = [
      '{dir="in",emoji="",l2proto="ipv4",l3proto="tcp",owner="",service="SSH"}',
      '{dir="out",emoji="",l2proto="ipv4",l3proto="tcp",owner="",service="SSH"}',
      '{dir="",emoji="",l2proto="",l3proto="",owner="",service="DNS"}',
      '{dir="",emoji="📈",l2proto="",l3proto="",owner="日本",service="Überwachung"}',
    ];
    assert.deepEqual(
      samples(lines, "nfprom_bytes_total"),
      [3456, 2048, 300, 60].map((v, i) => `nfprom_bytes_total${labels[i]} ${v}`),
    );
    assert.deepEqual(
      samples(lines, "nfprom_packets_total"),
      [12, 10, 3, 1].map((v, i) => `nfprom_packets_total${labels[i]} ${v}`),
    );
    assert.ok(lines.includes("# TYPE nfprom_bytes_total counter"));
    assert.ok(lines.includes("# TYPE nfprom_packets_total counter"));
    assert.deepEqual(samples(lines, "nfprom_rules"), [
      'nfprom_rules{state="exported"} 4',
      'nfprom_rules{state="ignored"} 2',
      'nfprom_rules{state="rejected"} 1',
    ]);
    assert.deepEqual(samples(lines, "nfprom_up"), ["nfprom_up 1"]);
    assert.deepEqual(samples(lines, "nfprom_last_read_timestamp_seconds"), [
      "nfprom_last_read_timestamp_seconds 1700000000.5",
    ]);
    assert.deepEqual(samples(lines, "nfprom_dump_interrupted_total"), ["nfprom_dump_interrupted_total 2"]);
    assert.deepEqual(samples(lines, "nfprom_read_errors_total"), READ_ERRORS);
    assert.deepEqual(samples(lines, "nfprom_read_retries_total"), [
      'nfprom_read_retries_total{reason="dump_interrupted"} 2',
      'nfprom_read_retries_total{reason="ruleset_changed"} 0',
    ]);
    assert.deepEqual(samples(lines, "nfprom_stale_served_total"), [
      'nfprom_stale_served_total{reason="ruleset_changing"} 0',
      'nfprom_stale_served_total{reason="timeout"} 0',
    ]);
    assert.equal(samples(lines, "nfprom_scrape_duration_seconds").length, 1);
    assert.equal(samples(lines, "nfprom_build_info").length, 1);
    assert.deepEqual(
      log.take().map((e) => [e.level, e.msg, e.fields.handle, e.fields.reason]),
      [["warn", "rule rejected", 6n, "rule has no counter statement"]],
    );
  });

  test("counters above 2^53 are printed exactly; label values are escaped; the namespace prefixes every metric", () => {
    const max = 2n ** 64n - 1n;
    const lines = render(
      new Scraper("fw", new CaptureLogger()),
      snapshot([
        { family: 1, handle: 2n, comment: 'nft(path=C:\\dir;q="x")', bytes: max, packets: 2n ** 53n + 1n },
        { family: 1, handle: 3n, comment: 'nft(path=C:\\dir;q="x")', bytes: max, packets: 1n },
      ]),
    );
    assert.deepEqual(samples(lines, "fw_bytes_total"), [
      'fw_bytes_total{path="C:\\\\dir",q="\\"x\\""} 36893488147419103230',
    ]);
    assert.deepEqual(samples(lines, "fw_packets_total"), [
      'fw_packets_total{path="C:\\\\dir",q="\\"x\\""} 9007199254740994',
    ]);
    assert.equal(lines.filter((l) => /^[a-z]/.test(l) && !l.startsWith("fw_")).length, 0);
  });

  test("an error reply: nfprom_up 0, no rule series, the reason logged", () => {
    const log = new CaptureLogger();
    const lines = render(new Scraper("nfprom", log), ERROR);
    assert.deepEqual(samples(lines, "nfprom_up"), ["nfprom_up 0"]);
    for (const name of ["nfprom_bytes_total", "nfprom_packets_total", "nfprom_rules"]) {
      assert.equal(lines.filter((l) => l.includes(`${name}`)).length, 0, `${name} must be absent`);
    }
    assert.deepEqual(samples(lines, "nfprom_last_read_timestamp_seconds"), []);
    assert.deepEqual(samples(lines, "nfprom_read_errors_total"), READ_ERRORS);
    assert.deepEqual(log.take(), [
      {
        level: "warn",
        msg: "scrape without data",
        fields: { code: "NFPROM_EPERM", err: ERROR.type === "error" ? ERROR.error.message : "" },
      },
    ]);
  });

  test("after a good read, a failed one drops the rule series (no stale data) and keeps the last read time", () => {
    const scraper = new Scraper("nfprom", new CaptureLogger());
    render(scraper, snapshot(BASIC));
    const lines = render(scraper, {
      type: "lost",
      error: { code: "NFPROM_TIMEOUT", message: "the reader did not answer in time" },
    });
    assert.deepEqual(samples(lines, "nfprom_up"), ["nfprom_up 0"]);
    assert.deepEqual(samples(lines, "nfprom_bytes_total"), []);
    assert.deepEqual(samples(lines, "nfprom_last_read_timestamp_seconds"), [
      "nfprom_last_read_timestamp_seconds 1700000000.5",
    ]);
  });

  test("a deleted rule's series disappears on the next scrape", () => {
    const scraper = new Scraper("nfprom", new CaptureLogger());
    const rules = BASIC.filter((r) => r.handle !== 6n);
    assert.equal(samples(render(scraper, snapshot(rules)), "nfprom_bytes_total").length, 4);
    const lines = render(scraper, snapshot(rules.filter((r) => r.handle !== 7n)));
    assert.equal(samples(lines, "nfprom_bytes_total").length, 3);
    assert.ok(!lines.some((l) => l.includes('service="DNS"')));
  });

  test("a rejected rule is logged once, and again after it disappears and comes back", () => {
    const log = new CaptureLogger();
    const scraper = new Scraper("nfprom", log);
    const rejectedCount = () => log.take().filter((e) => e.msg === "rule rejected").length;
    render(scraper, snapshot(BASIC));
    assert.equal(rejectedCount(), 1, "first scrape");
    render(scraper, snapshot(BASIC));
    assert.equal(rejectedCount(), 0, "same rule, second scrape");
    render(scraper, snapshot(BASIC.filter((r) => r.handle !== 6n)));
    assert.equal(rejectedCount(), 0, "rule gone");
    render(scraper, snapshot(BASIC));
    assert.equal(rejectedCount(), 1, "rule back");
    const changed = BASIC.map((r) => (r.handle === 6n ? { ...r, comment: "nft(bad-key=1)" } : r));
    render(scraper, snapshot(changed));
    assert.deepEqual(
      log.take().map((e) => e.fields.reason),
      ['"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)'],
      "a new reason for the same rule is logged",
    );
  });

  test("an unchanged ruleset with new counter values: the new values, duplicates still summed", () => {
    const scraper = new Scraper("nfprom", new CaptureLogger());
    const rules: RuleCounters[] = [
      { family: 1, handle: 2n, comment: "nft(svc=a)", bytes: 1n, packets: 1n },
      { family: 1, handle: 3n, comment: "nft(svc=a)", bytes: 2n, packets: 2n },
      { family: 1, handle: 4n, comment: "nft(svc=b)", bytes: 3n, packets: 3n },
    ];
    render(scraper, snapshot(rules));
    const later = rules.map((r, i) => ({ ...r, bytes: 100n * BigInt(i + 1), packets: BigInt(i + 10) }));
    assert.deepEqual(samples(render(scraper, snapshot(later)), "nfprom_bytes_total"), [
      'nfprom_bytes_total{svc="a"} 300',
      'nfprom_bytes_total{svc="b"} 300',
    ]);
    assert.deepEqual(samples(render(scraper, snapshot(later)), "nfprom_packets_total"), [
      'nfprom_packets_total{svc="a"} 21',
      'nfprom_packets_total{svc="b"} 12',
    ]);
    const renamed = later.map((r) => (r.handle === 4n ? { ...r, comment: "nft(svc=c)" } : r));
    assert.deepEqual(samples(render(scraper, snapshot(renamed)), "nfprom_bytes_total"), [
      'nfprom_bytes_total{svc="a"} 300',
      'nfprom_bytes_total{svc="c"} 300',
    ]);
  });

  test("promtool check metrics accepts a whole scrape", { skip: promtoolMissing }, () => {
    const scraper = new Scraper("nfprom", new CaptureLogger());
    const withOddValues = [
      ...BASIC,
      { family: 1, handle: 9n, comment: 'nft(service=a\\b"c\nd)', bytes: 2n ** 64n - 1n, packets: 0n },
    ];
    for (const input of [snapshot(withOddValues), ERROR]) {
      const text = String(scraper.render(input, process.hrtime.bigint()));
      const r = checkMetrics(text);
      assert.equal(r.status, 0, `promtool said: ${r.output}\n---\n${text}`);
    }
  });
});
