import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { columnsFromRules } from "../../../src/model/rule-columns.js";
import type { Snapshot } from "../../../src/model/snapshot.js";
import { counterColumns } from "../../../src/model/source-columns.js";
import { Collector, type WholeReadProver } from "../../../src/reader/collector.js";
import type { SourceRunner } from "../../../src/sources/runner.js";
import type { Sections } from "../../../src/sources/slice.js";
import type { RulesReader } from "../../../src/sources/source.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function snapshot(marker = 0): Snapshot {
  return {
    family: "inet",
    table: "t",
    chain: String(marker),
    readAtMs: Date.now(),
    readDurationMs: 1,
    attempts: 1,
    rules: columnsFromRules([]),
  };
}

/** A rules reader whose n-th read (from 0) takes `ms` and gives what `outcome(n)` says. */
function rulesReader(ms: number, outcome: (n: number) => Snapshot | Error = (n) => snapshot(n)) {
  const r = {
    reads: 0,
    events: [] as string[],
    read: async (): Promise<Snapshot> => {
      const n = r.reads++;
      r.events.push(`rules ${n} start`);
      await sleep(ms);
      r.events.push(`rules ${n} end`);
      const o = outcome(n);
      if (o instanceof Error) throw o;
      return o;
    },
    close: () => {},
  };
  return r satisfies RulesReader;
}

function runner(name: string, ms: number, outcome: (n: number) => Sections | Error) {
  let n = 0;
  const r = {
    source: { name, collect: async () => ({}) },
    abandoned: 0,
    collect: async () => {
      const o = outcome(n++);
      await sleep(ms);
      if (o instanceof Error) throw o;
      return o;
    },
    abandon: () => {
      r.abandoned++;
    },
    close: () => {},
  };
  return r as unknown as SourceRunner & { abandoned: number };
}

/** A prover that hands out the generations of `pairs` in turn: [before, after] per attempt. */
function prover(pairs: [number, number][], beginMs = 0): WholeReadProver & { attempts: number } {
  const p = {
    attempts: 0,
    begin: async () => {
      await sleep(beginMs);
      return (pairs[Math.min(p.attempts, pairs.length - 1)] as [number, number])[0];
    },
    end: async (before: number) => {
      const after = (pairs[Math.min(p.attempts++, pairs.length - 1)] as [number, number])[1];
      if (after !== before) throw new NfpromError(ErrorCodes.RULESET_CHANGED, `${before} → ${after}`);
      return after;
    },
    close: () => {},
  };
  return p;
}

const OPTIONS = { maxAttempts: 10, maxReadMs: 5_000 };
const STABLE = (): [number, number][] => [[7, 7]];
const changed = (err: unknown) => err instanceof NfpromError && err.code === ErrorCodes.RULESET_CHANGED;

describe("Collector: reads proven whole", () => {
  test("a proven read carries its generation, age 0, one attempt", async () => {
    const c = new Collector(rulesReader(1), [], prover(STABLE()), OPTIONS, () => {});
    const s = await c.read(Date.now() + 1000);
    assert.equal(s.generation, 7);
    assert.equal(s.ageMs, 0);
    assert.equal(s.attempts, 1);
    assert.equal(s.stale, undefined);
    assert.equal(s.sources, undefined);
  });

  test("the generation moved: the read is thrown away and read again, and counted", async () => {
    const rules = rulesReader(1);
    const c = new Collector(
      rules,
      [],
      prover([
        [1, 2],
        [2, 3],
        [3, 3],
      ]),
      OPTIONS,
      () => {},
    );
    const s = await c.read(Date.now() + 1000);
    assert.equal(s.chain, "2", "the third read is the one served");
    assert.equal(s.attempts, 3);
    assert.equal(s.generation, 3);
    assert.deepEqual(c.stats.retries, { dump_interrupted: 0, ruleset_changed: 2 });
    assert.deepEqual(c.stats.readErrors, {});
  });

  test("a missing table while the generation moves is a retry, not a report", async () => {
    const gone = new NfpromError(ErrorCodes.NO_TABLE, "table gone mid-reload");
    const rules = rulesReader(1, (n) => (n === 0 ? gone : snapshot(n)));
    const c = new Collector(
      rules,
      [],
      prover([
        [1, 2],
        [2, 2],
      ]),
      OPTIONS,
      () => {},
    );
    const s = await c.read(Date.now() + 1000);
    assert.equal(s.chain, "1");
    assert.deepEqual(c.stats.retries, { dump_interrupted: 0, ruleset_changed: 1 });
    assert.deepEqual(c.stats.readErrors, {});
  });

  test("a missing table under a stable generation fails the read (nfprom_up 0), counted once", async () => {
    const err = new NfpromError(ErrorCodes.NO_TABLE, "missing");
    const c = new Collector(
      rulesReader(1, () => err),
      [runner("objects", 1, () => ({}))],
      prover(STABLE()),
      OPTIONS,
      () => {},
    );
    await assert.rejects(c.read(Date.now() + 1000), err);
    assert.deepEqual(c.stats.readErrors, { [ErrorCodes.NO_TABLE]: 1 });
  });

  test("a torn dump in an optional source retries the whole read, once every part has settled", async () => {
    const rules = rulesReader(30);
    const torn = new NfpromError(ErrorCodes.DUMP_INTR, "set dump flagged");
    const sets = runner("sets", 1, (n) => (n === 0 ? torn : {}));
    const c = new Collector(rules, [sets], prover(STABLE()), OPTIONS, () => {});
    const s = await c.read(Date.now() + 1000);
    assert.equal(s.attempts, 2);
    assert.deepEqual(
      s.sources?.map((x) => [x.name, x.ok]),
      [["sets", true]],
    );
    assert.deepEqual(c.stats.retries, { dump_interrupted: 1, ruleset_changed: 0 });
    // The second attempt's dump began only after the first attempt's rules dump had ended.
    assert.deepEqual(rules.events, ["rules 0 start", "rules 0 end", "rules 1 start", "rules 1 end"]);
  });

  test("a scrape that joins a read in flight may retry until its own deadline, not the first scrape's", async () => {
    let gen = 1;
    const rules = rulesReader(30);
    const churn: WholeReadProver = {
      begin: async () => gen,
      end: async (before) => {
        if (rules.reads >= 4) return before; // the ruleset settles after three torn reads
        gen++;
        throw new NfpromError(ErrorCodes.RULESET_CHANGED, `${before} → ${gen}`);
      },
      close: () => {},
    };
    const c = new Collector(rules, [], churn, OPTIONS, () => {});
    const short = c.read(Date.now() + 20);
    const long = c.read(Date.now() + 5_000);
    await assert.rejects(short, "no complete snapshot yet: the 20 ms scrape fails");
    const s = await long;
    assert.equal(s.attempts, 4, "the 5 s scrape got the read the retries reached");
    assert.equal(s.stale, undefined);
  });

  test("an optional source that fails or is late loses only its section", async () => {
    const failures: string[] = [];
    const counters = counterColumns([
      { family: "inet", table: "t", name: "a", comment: undefined, bytes: 1n, packets: 1n },
    ]);
    const late = runner("late", 5_000, () => ({}));
    const c = new Collector(
      rulesReader(5),
      [runner("objects", 5, () => ({ counters })), runner("sets", 10, () => new Error("boom")), late],
      prover(STABLE()),
      OPTIONS,
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
    assert.equal(late.abandoned, 1, "a late source's dump is abandoned (its socket replaced)");
    assert.deepEqual(c.stats.readErrors, { [ErrorCodes.INTERNAL]: 1, [ErrorCodes.TIMEOUT]: 1 });
  });
});

describe("Collector: the last complete snapshot stands in", () => {
  test("while the ruleset keeps changing: served aged, with its reason, never a partial read", async () => {
    let gen = 1;
    const churn: WholeReadProver = {
      begin: async () => gen,
      end: async (before) => {
        gen++;
        throw new NfpromError(ErrorCodes.RULESET_CHANGED, `${before} → ${gen}`);
      },
      close: () => {},
    };
    const first = new Collector(rulesReader(1), [], prover(STABLE()), OPTIONS, () => {});
    const good = await first.read(Date.now() + 1000);
    // Same collector, now under churn: swap the prover by building one with the same last snapshot.
    const c = new Collector(rulesReader(1), [], churn, OPTIONS, () => {});
    await assert.rejects(c.read(Date.now() + 100), changed, "no complete snapshot yet: nfprom_up 0");
    assert.deepEqual(c.stats.staleServed, { ruleset_changing: 0, timeout: 0 });
    assert.equal(good.stale, undefined);

    let stable = true;
    const switching: WholeReadProver = {
      begin: async () => (stable ? 5 : churn.begin()),
      end: async (before) => (stable ? 5 : churn.end(before)),
      close: () => {},
    };
    const d = new Collector(rulesReader(1), [], switching, OPTIONS, () => {});
    const fresh = await d.read(Date.now() + 1000);
    stable = false;
    await sleep(20);
    const old = await d.read(Date.now() + 100);
    assert.equal(old.stale, "ruleset_changing");
    assert.ok((old.ageMs ?? 0) >= 20, `age ${old.ageMs}`);
    assert.equal(old.readAtMs, fresh.readAtMs);
    assert.equal(old.generation, 5);
    assert.equal(d.stats.staleServed.ruleset_changing, 1);
    assert.ok(d.stats.retries.ruleset_changed >= 3);
  });

  test("a ruleset changing faster than it can be read: the last snapshot after 3 attempts, not at the deadline", async () => {
    let churn = false;
    let gen = 1;
    const p: WholeReadProver = {
      begin: async () => gen,
      end: async (before) => {
        if (churn) gen++;
        if (gen !== before) throw new NfpromError(ErrorCodes.RULESET_CHANGED, "moved");
        return gen;
      },
      close: () => {},
    };
    const c = new Collector(rulesReader(100), [], p, OPTIONS, () => {});
    await c.read(Date.now() + 1000);
    churn = true;
    const started = Date.now();
    const s = await c.read(Date.now() + 5_000);
    const tookMs = Date.now() - started;
    assert.equal(s.stale, "ruleset_changing");
    // 3 attempts of 100 ms, not the 10 the read goes on with (1 s), nor the deadline.
    assert.ok(tookMs < 800, `answered after ${tookMs} ms`);
    assert.equal(c.stats.retries.ruleset_changed, 3);
  });

  test("a retry that would leave the optional sources no time serves the last complete snapshot instead", async () => {
    const counters = counterColumns([
      { family: "inet", table: "t", name: "a", comment: undefined, bytes: 1n, packets: 1n },
    ]);
    let torn = false;
    const p: WholeReadProver = {
      begin: async () => 1,
      end: async () => {
        if (!torn) return 1;
        torn = false;
        throw new NfpromError(ErrorCodes.RULESET_CHANGED, "1 → 2");
      },
      close: () => {},
    };
    // The second read's first attempt is slow and torn: a retry could not finish the sources in time.
    const rules = rulesReader(0);
    const slowOnce = {
      read: async () => {
        if (rules.reads === 1) await sleep(60);
        return rules.read();
      },
      close: () => {},
    };
    const c = new Collector(slowOnce, [runner("objects", 30, () => ({ counters }))], p, OPTIONS, () => {});
    assert.deepEqual((await c.read(Date.now() + 1000)).counters, counters);
    torn = true;
    const s = await c.read(Date.now() + 100);
    assert.deepEqual(s.counters, counters, "never a fresh read that lost a source to the retry's lateness");
    assert.equal(s.stale, "ruleset_changing");
  });

  test("a read whose optional source was late is served, but the last complete snapshot stays the stand-in", async () => {
    const counters = counterColumns([
      { family: "inet", table: "t", name: "a", comment: undefined, bytes: 1n, packets: 1n },
    ]);
    let sourceMs = 1;
    const objects = runner("objects", 0, () => ({ counters }));
    const slowable = Object.assign(objects, {
      collect: async () => {
        await sleep(sourceMs);
        return { counters };
      },
    });
    let churn = false;
    const p: WholeReadProver = {
      begin: async () => 1,
      end: async () => {
        if (churn) throw new NfpromError(ErrorCodes.RULESET_CHANGED, "1 → 2");
        return 1;
      },
      close: () => {},
    };
    const c = new Collector(rulesReader(1), [slowable], p, OPTIONS, () => {});
    const complete = await c.read(Date.now() + 1000);
    sourceMs = 200;
    const partial = await c.read(Date.now() + 60);
    assert.equal(partial.counters, undefined, "the late source loses its section in that scrape");
    churn = true;
    const stale = await c.read(Date.now() + 60);
    assert.equal(stale.stale, "ruleset_changing");
    assert.equal(stale.readAtMs, complete.readAtMs, "the stand-in is the last complete snapshot");
    assert.deepEqual(stale.counters, counters);
  });

  test("a deadline that passes while waiting for a transaction serves the last snapshot", async () => {
    let slow = false;
    const p: WholeReadProver = {
      begin: async () => {
        if (slow) await sleep(300);
        return 1;
      },
      end: async () => 1,
      close: () => {},
    };
    const c = new Collector(rulesReader(1), [], p, OPTIONS, () => {});
    await c.read(Date.now() + 1000);
    slow = true;
    const s = await c.read(Date.now() + 50);
    assert.equal(s.stale, "ruleset_changing");
  });

  test("a plain timeout is a failure without -read.background-timeout, a stale answer with it", async () => {
    let ms = 1;
    const reader = { read: () => rulesReader(ms).read(), close: () => {} };
    const plain = new Collector(reader, [], prover(STABLE()), OPTIONS, () => {});
    await plain.read(Date.now() + 1000);
    ms = 200;
    await assert.rejects(plain.read(Date.now() + 30), { code: ErrorCodes.TIMEOUT });

    ms = 1;
    const background = new Collector(
      reader,
      [],
      prover(STABLE()),
      { ...OPTIONS, backgroundMs: 10_000 },
      () => {},
    );
    await background.read(Date.now() + 1000);
    ms = 200;
    const s = await background.read(Date.now() + 30);
    assert.equal(s.stale, "timeout");
    assert.deepEqual(background.stats.staleServed, { ruleset_changing: 0, timeout: 1 });
    await sleep(250); // the dump completes in the background; the next scrape gets it fresh
    ms = 1;
    assert.equal((await background.read(Date.now() + 1000)).ageMs, 0);
  });

  test("without the proof (-read.skip-proof) reads are served as they come", async () => {
    const c = new Collector(rulesReader(1), [], undefined, OPTIONS, () => {});
    const s = await c.read(Date.now() + 1000);
    assert.equal(s.generation, undefined);
    assert.equal(s.attempts, 1);
  });
});
