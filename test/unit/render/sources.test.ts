import assert from "node:assert/strict";
import { test } from "node:test";
import { renderText as renderTextBuffer } from "../../../src/exposition/text.js";
import { fromWireSnapshot, toWireSnapshot } from "../../../src/ipc/protocol.js";
import { REPEATS_PER_INTERVAL } from "../../../src/log.js";
import { SourceRenderer } from "../../../src/render/sources.js";
import { CaptureLogger } from "../helpers/logger.js";
import { checkMetrics, promtoolMissing } from "../helpers/promtool.js";
import { columnar, type SnapshotObjects as Snapshot } from "../helpers/snapshot.js";

/** renderText as text, for assertions on strings. */
const renderText = (...args: Parameters<typeof renderTextBuffer>) => String(renderTextBuffer(...args));

/** sourceFamilies renders a snapshot's sources as the web process does, from the wire form. */
function sourceFamilies(ns: string, snapshot: Snapshot | undefined, renderer = new SourceRenderer(ns)) {
  return renderer.families(snapshot && fromWireSnapshot(toWireSnapshot(columnar(snapshot))));
}

const BASE: Snapshot = {
  family: "inet",
  table: "firewall",
  chain: "accounting",
  readAtMs: 0,
  readDurationMs: 1,
  attempts: 1,
  rules: [],
};
const U64_MAX = (1n << 64n) - 1n;
const where = { family: "inet", table: "firewall" };

const FULL: Snapshot = {
  ...BASE,
  counters: [
    { ...where, name: "a", comment: "nft(svc=ssh;name=x)", bytes: U64_MAX, packets: 1n },
    { ...where, name: "b", comment: "nft(bad-key=1)", bytes: 2n, packets: 2n },
    { ...where, name: "c", comment: "just a note", bytes: 3n, packets: 3n },
  ],
  quotas: [
    {
      ...where,
      name: "q",
      comment: undefined,
      limitBytes: 1000n,
      usedBytes: 1000n,
      inverted: true,
      depleted: true,
    },
  ],
  sets: [
    {
      ...where,
      name: "clients",
      size: 3,
      leftOut: 1,
      repeated: 2,
      elements: [{ key: "10.0.0.0/8", comment: 'nft(who=a "b")', bytes: 5n, packets: 1n }],
    },
  ],
  sources: [
    { name: "objects", ok: true, durationMs: 12 },
    { name: "sets", ok: false, durationMs: 3 },
  ],
};

test("no optional source, no stale serving: nothing at all (the seed's exposition is unchanged)", () => {
  assert.deepEqual([...sourceFamilies("nfprom", BASE)], []);
  assert.deepEqual([...sourceFamilies("nfprom", undefined)], []);
});

test("objects, quotas, set elements, source status: labels, comment keys, clashes, exact values", () => {
  const text = renderText(sourceFamilies("nfprom", FULL));
  const lines = text.split("\n").filter((l) => !l.startsWith("#"));
  assert.ok(
    lines.includes(
      `nfprom_object_bytes_total{exported_name="x",family="inet",name="a",svc="ssh",table="firewall"} ${U64_MAX}`,
    ),
  );
  // An invalid or non-nft(...) comment adds no labels; the name alone identifies the series.
  assert.ok(
    lines.includes(
      'nfprom_object_packets_total{exported_name="",family="inet",name="b",svc="",table="firewall"} 2',
    ),
  );
  assert.ok(lines.includes('nfprom_quota_exhausted{family="inet",mode="over",name="q",table="firewall"} 1'));
  assert.ok(
    lines.includes(
      'nfprom_set_element_bytes_total{element="10.0.0.0/8",family="inet",set="clients",table="firewall",who="a \\"b\\""} 5',
    ),
  );
  assert.ok(lines.includes('nfprom_set_elements_left_out{family="inet",table="firewall",set="clients"} 1'));
  assert.ok(lines.includes('nfprom_set_elements_repeated{family="inet",table="firewall",set="clients"} 2'));
  assert.ok(lines.includes('nfprom_source_success{source="sets"} 0'));
  assert.ok(lines.includes('nfprom_source_duration_seconds{source="objects"} 0.012'));
});

test("stale serving: the age gauge", () => {
  const text = renderText(sourceFamilies("nfprom", { ...BASE, ageMs: 2500 }));
  assert.match(text, /\nnfprom_snapshot_age_seconds 2.5\n/);
});

test("the exposition passes promtool check metrics", { skip: promtoolMissing }, () => {
  const { status, output } = checkMetrics(renderText(sourceFamilies("nfprom", { ...FULL, ageMs: 0 })));
  assert.equal(status, 0, output);
});

test("malformed nft(...) comments: the items keep their series, are counted by kind and logged once", () => {
  const log = new CaptureLogger();
  const warned = () => log.entries.map((e) => [e.msg, e.fields]);
  const renderer = new SourceRenderer("nfprom", log);
  const lines = (snapshot: Snapshot) => renderText(sourceFamilies("nfprom", snapshot, renderer)).split("\n");
  const element = { key: "10.0.0.1", comment: "nft(a=1;a=2)", bytes: 1n, packets: 1n };
  const sets = (FULL.sets ?? []).map((set) => ({ ...set, elements: [element] }));
  const counters = FULL.counters ?? [];
  const bad: Snapshot = { ...FULL, sets };

  const first = lines(bad);
  assert.deepEqual(
    first.filter((l) => l.startsWith("nfprom_comments_rejected")),
    [
      'nfprom_comments_rejected{kind="counter"} 1',
      'nfprom_comments_rejected{kind="quota"} 0',
      'nfprom_comments_rejected{kind="set_element"} 1',
    ],
  );
  assert.ok(
    first.includes(
      'nfprom_set_element_bytes_total{element="10.0.0.1",family="inet",set="clients",table="firewall"} 1',
    ),
  );
  const where = { family: "inet", table: "firewall" };
  assert.deepEqual(warned(), [
    [
      "named counter comment rejected",
      {
        ...where,
        name: "b",
        comment: "nft(bad-key=1)",
        reason: '"bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
      },
    ],
    [
      "set element comment rejected",
      {
        ...where,
        set: "clients",
        element: "10.0.0.1",
        comment: "nft(a=1;a=2)",
        reason: 'key "a" given twice',
      },
    ],
  ]);

  lines(bad);
  // Another item's comment changes: the kind is labelled again, and the rejection stays logged once.
  const note = (c: (typeof counters)[number]) => (c.name === "c" ? { ...c, comment: "another note" } : c);
  lines({ ...bad, counters: counters.map(note) });
  assert.equal(warned().length, 2, "each rejection is logged once, not on every scrape");
  const fixed = lines({ ...bad, counters: counters.map((c) => ({ ...c, comment: "nft(svc=b)" })) });
  assert.ok(fixed.includes('nfprom_comments_rejected{kind="counter"} 0'));
});

test("many malformed comments at once: a few logged one by one, then the log's repeat limit counts", () => {
  const log = new CaptureLogger();
  const elements = Array.from({ length: 15 }, (_, i) => ({
    key: `10.0.0.${i}`,
    comment: "nft(oops)",
    bytes: 1n,
    packets: 1n,
  }));
  const sets = [{ ...where, name: "clients", size: 15, leftOut: 0, elements }];
  const text = renderText(
    sourceFamilies("nfprom", { ...BASE, sets, sources: [] }, new SourceRenderer("nfprom", log)),
  );
  assert.match(text, /\nnfprom_comments_rejected\{kind="set_element"\} 15\n/);
  const warned = log.entries.map((e) => e.msg);
  assert.equal(warned.filter((msg) => msg === "set element comment rejected").length, REPEATS_PER_INTERVAL);
  assert.deepEqual(warned.slice(REPEATS_PER_INTERVAL), [
    "repeated warnings: counting the rest of this interval",
  ]);
});

test("successive scrapes: new values under unchanged labels; changed items re-labelled, gone items dropped", () => {
  const renderer = new SourceRenderer("nfprom");
  const scrape = (snapshot: Snapshot) =>
    renderText(sourceFamilies("nfprom", snapshot, renderer))
      .split("\n")
      .filter(
        (l) => l.startsWith("nfprom_object_bytes_total") || l.startsWith("nfprom_set_element_packets_total"),
      );
  const counters = FULL.counters ?? [];
  const second: Snapshot = {
    ...FULL,
    counters: counters.map((c) => ({ ...c, bytes: c.bytes - 1n })),
    sets: [
      {
        ...where,
        name: "a",
        size: 2,
        leftOut: 0,
        elements: [{ key: "1.1.1.1", comment: undefined, bytes: 1n, packets: 11n }],
      },
      {
        ...where,
        name: "b",
        size: 1,
        leftOut: 0,
        elements: [{ key: "2.2.2.2", comment: undefined, bytes: 2n, packets: 22n }],
      },
    ],
  };
  scrape(FULL);
  const sameIdentity = scrape(second);
  assert.ok(
    sameIdentity.includes(
      `nfprom_object_bytes_total{exported_name="x",family="inet",name="a",svc="ssh",table="firewall"} ${U64_MAX - 1n}`,
    ),
  );
  assert.deepEqual(
    sameIdentity.filter((l) => l.startsWith("nfprom_set")),
    [
      'nfprom_set_element_packets_total{element="1.1.1.1",family="inet",set="a",table="firewall"} 11',
      'nfprom_set_element_packets_total{element="2.2.2.2",family="inet",set="b",table="firewall"} 22',
    ],
  );
  assert.deepEqual(scrape(second), sameIdentity, "a third scrape of the same read renders the same");
  const changed = scrape({
    ...second,
    counters: [
      { ...(counters[0] as NonNullable<Snapshot["counters"]>[number]), comment: "nft(svc=web)", bytes: 9n },
    ],
  });
  assert.deepEqual(
    changed.filter((l) => l.startsWith("nfprom_object")),
    ['nfprom_object_bytes_total{family="inet",name="a",svc="web",table="firewall"} 9'],
  );
});

test("a changing set: kept elements keep their text, new ones get theirs, a new comment key reaches every series", () => {
  const renderer = new SourceRenderer("nfprom");
  const set = (elements: { key: string; comment?: string }[]): Snapshot => ({
    ...BASE,
    sources: [],
    sets: [
      {
        ...where,
        name: "s",
        size: elements.length,
        leftOut: 0,
        elements: elements.map(({ key, comment }) => ({ key, comment, bytes: 1n, packets: 1n })),
      },
    ],
  });
  const lines = (s: Snapshot) =>
    renderText(sourceFamilies("nfprom", s, renderer))
      .split("\n")
      .filter((l) => l.startsWith("nfprom_set_element_bytes_total"));
  assert.deepEqual(lines(set([{ key: "1.1.1.1" }, { key: "2.2.2.2" }])), [
    'nfprom_set_element_bytes_total{element="1.1.1.1",family="inet",set="s",table="firewall"} 1',
    'nfprom_set_element_bytes_total{element="2.2.2.2",family="inet",set="s",table="firewall"} 1',
  ]);
  assert.deepEqual(lines(set([{ key: "3.3.3.3", comment: "nft(who=c)" }, { key: "1.1.1.1" }])), [
    'nfprom_set_element_bytes_total{element="3.3.3.3",family="inet",set="s",table="firewall",who="c"} 1',
    'nfprom_set_element_bytes_total{element="1.1.1.1",family="inet",set="s",table="firewall",who=""} 1',
  ]);
  assert.deepEqual(lines(set([{ key: "1.1.1.1", comment: "nft(who=a)" }, { key: "2.2.2.2" }])), [
    'nfprom_set_element_bytes_total{element="1.1.1.1",family="inet",set="s",table="firewall",who="a"} 1',
    'nfprom_set_element_bytes_total{element="2.2.2.2",family="inet",set="s",table="firewall",who=""} 1',
  ]);
  assert.deepEqual(lines(set([{ key: "2.2.2.2" }])), [
    'nfprom_set_element_bytes_total{element="2.2.2.2",family="inet",set="s",table="firewall"} 1',
  ]);
});
