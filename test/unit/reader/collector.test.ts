import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { columnsFromRules } from "../../../src/model/rule-columns.js";
import type { Snapshot } from "../../../src/model/snapshot.js";
import { counterColumns } from "../../../src/model/source-columns.js";
import { Collector, type RulesReader } from "../../../src/reader/collector.js";
import type { Sections, SourceRunner } from "../../../src/reader/sources/source.js";
import { StaleServingReader } from "../../../src/reader/stale.js";

function snapshot(readAtMs = Date.now()): Snapshot {
  return {
    family: "inet",
    table: "t",
    chain: "c",
    readAtMs,
    readDurationMs: 1,
    attempts: 1,
    rules: columnsFromRules([]),
  };
}

/** A rules reader whose reads take `ms` and resolve (or reject with `error`). */
function rulesReader(ms: number, error?: NfpromError): RulesReader & { reads: number } {
  const r = {
    reads: 0,
    stats: { dumpInterrupted: 1, readErrors: { [ErrorCodes.TIMEOUT]: 2 } },
    read: () => {
      r.reads++;
      return new Promise<Snapshot>((resolve, reject) =>
        setTimeout(() => (error ? reject(error) : resolve(snapshot())), ms),
      );
    },
    close: () => {},
  };
  return r;
}

function runner(name: string, ms: number, sections: Sections | Error): SourceRunner {
  return {
    source: { name, collect: async () => ({}) },
    stats: { dumpInterrupted: 3, readErrors: { [ErrorCodes.TIMEOUT]: 1 } },
    collect: () =>
      new Promise((resolve, reject) =>
        setTimeout(() => (sections instanceof Error ? reject(sections) : resolve(sections)), ms),
      ),
    close: () => {},
  } as unknown as SourceRunner;
}

describe("Collector", () => {
  test("without optional sources the snapshot is the rules reader's, unchanged", async () => {
    const c = new Collector(rulesReader(1), [], () => {});
    const s = await c.read(Date.now() + 1000);
    assert.equal(s.sources, undefined);
    assert.equal(s.counters, undefined);
  });

  test("sources run concurrently; a failed or late source loses only its section", async () => {
    const failures: string[] = [];
    const counters = counterColumns([
      { family: "inet", table: "t", name: "a", comment: undefined, bytes: 1n, packets: 1n },
    ]);
    const c = new Collector(
      rulesReader(5),
      [runner("objects", 5, { counters }), runner("sets", 10, new Error("boom")), runner("late", 5_000, {})],
      (name) => failures.push(name),
    );
    const started = Date.now();
    const s = await c.read(Date.now() + 200);
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual(s.counters, counters);
    assert.deepEqual(
      s.sources?.map((x) => [x.name, x.ok]),
      [
        ["objects", true],
        ["sets", false],
        ["late", false],
      ],
    );
    assert.deepEqual(failures.sort(), ["late", "sets"]);
    assert.deepEqual(c.stats, { dumpInterrupted: 10, readErrors: { [ErrorCodes.TIMEOUT]: 5 } });
  });

  test("a failed rules read fails the whole read (nfprom_up 0), as before", async () => {
    const err = new NfpromError(ErrorCodes.NO_TABLE, "missing");
    const c = new Collector(rulesReader(1, err), [runner("objects", 1, {})], () => {});
    await assert.rejects(c.read(Date.now() + 1000), err);
  });
});

describe("StaleServingReader", () => {
  test("no complete snapshot yet: the deadline is NFPROM_TIMEOUT; later scrapes get the last one, aged", async () => {
    const inner = rulesReader(150);
    const stale = new StaleServingReader(inner, 10_000);
    await assert.rejects(stale.read(Date.now() + 20), { code: ErrorCodes.TIMEOUT });
    await new Promise((r) => setTimeout(r, 200)); // the first dump completes in the background
    const fresh = await stale.read(Date.now() + 1_000);
    assert.equal(fresh.ageMs, 0);
    await new Promise((r) => setTimeout(r, 50));
    const old = await stale.read(Date.now() + 20);
    assert.ok((old.ageMs ?? 0) >= 50, `age ${old.ageMs}`);
    assert.equal(old.readAtMs, fresh.readAtMs);
  });
});
