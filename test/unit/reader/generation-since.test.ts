import assert from "node:assert/strict";
import { test } from "node:test";
import { Collector, type WholeReadProver } from "../../../src/reader/collector.js";
import { ruleSnapshot } from "../helpers/snapshot.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A prover whose generation is whatever the test set last: reads prove whole, at that generation. */
function prover() {
  const p = {
    generation: 7,
    begin: async () => p.generation,
    end: async (before: number) => before,
    close: () => {},
  };
  return p satisfies WholeReadProver;
}

const rules = { read: async () => ruleSnapshot(0, () => ""), close: () => {} };

test("the ruleset's last change is when a proven read first saw its generation, and moves with it", async () => {
  const proof = prover();
  const collector = new Collector(rules, [], proof, { maxAttempts: 3, maxReadMs: 1000 }, () => {});
  const first = await collector.read(Date.now() + 1000);
  assert.equal(first.generation, 7);
  assert.equal(first.generationSinceMs, first.readAtMs);
  await sleep(5);
  const same = await collector.read(Date.now() + 1000);
  assert.ok(same.readAtMs > first.readAtMs);
  assert.equal(same.generationSinceMs, first.generationSinceMs, "same generation: same time");
  proof.generation = 8;
  await sleep(5);
  const reloaded = await collector.read(Date.now() + 1000);
  assert.equal(reloaded.generation, 8);
  assert.equal(reloaded.generationSinceMs, reloaded.readAtMs);
  assert.ok((reloaded.generationSinceMs ?? 0) > (first.generationSinceMs ?? 0));
});

test("without the proof there is no generation, and no time of change", async () => {
  const collector = new Collector(rules, [], undefined, { maxAttempts: 3, maxReadMs: 1000 }, () => {});
  const read = await collector.read(Date.now() + 1000);
  assert.equal(read.generation, undefined);
  assert.equal(read.generationSinceMs, undefined);
});
