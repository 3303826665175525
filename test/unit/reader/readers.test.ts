import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ErrorCode, ErrorCodes, NfpromError } from "../../../src/errors.js";
import { parsePattern } from "../../../src/model/pattern.js";
import { handleOf, rulesFromColumns } from "../../../src/model/rule-columns.js";
import type { ChainRef } from "../../../src/nftables/chain-dump.js";
import { FAMILIES } from "../../../src/nftables/constants.js";
import { WholeReadProof } from "../../../src/nftables/generation.js";
import { Collector, type CollectorOptions } from "../../../src/reader/collector.js";
import { objectsSource } from "../../../src/sources/objects/source.js";
import { ChainReader } from "../../../src/sources/rules/chain.js";
import { SourceRunner } from "../../../src/sources/runner.js";
import { setsSource } from "../../../src/sources/sets/source.js";
import { FakeKernel } from "../helpers/fake-kernel.js";
import { loadFixture } from "../helpers/fixtures.js";

/**
 * Every path of the readers (ChainReader, SourceRunner and its sources, WholeReadProof, Collector) over a
 * fake kernel that replays real captures (test/fixtures/README.md): answers, torn dumps (NLM_F_DUMP_INTR),
 * kernel errors (EPERM, ENOENT), generations that move, and socket failures (a dump cut short, an errno,
 * a kernel slower than the deadline).
 */
const CHAIN = { family: FAMILIES.inet, table: "firewall", chain: "accounting" };
const never = () => false;
const K = (name: string) => `kernel/${name}`;

function chainReader(kernel: FakeKernel, ref: ChainRef = CHAIN): ChainReader {
  return new ChainReader(ref, { recvTimeoutMs: 1_000, openSocket: kernel.open });
}

function fails(code: ErrorCode, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof NfpromError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

function handles(snapshot: { rules: { count: number; numbers: BigUint64Array } }): string[] {
  return Array.from({ length: snapshot.rules.count }, (_, i) => String(handleOf(snapshot.rules.numbers, i)));
}

describe("ChainReader over captured dumps", () => {
  test("reads the chain's rules; the next read reuses the socket", async () => {
    const kernel = new FakeKernel(["basic"]);
    const reader = chainReader(kernel);
    const want = loadFixture("basic").rules.map((r) => r.handle);
    assert.deepEqual(handles(await reader.read(never)), want);
    assert.deepEqual(handles(await reader.read(never)), want);
    assert.equal(kernel.opened, 1);
    assert.deepEqual(kernel.unanswered, []);
  });

  test("a dump torn by a commit is NFPROM_DUMP_INTR; the next read opens a new socket", async () => {
    const kernel = new FakeKernel([K("rules-dump-intr"), K("rules-many")]);
    const reader = chainReader(kernel);
    await assert.rejects(reader.read(never), fails(ErrorCodes.DUMP_INTR, /NLM_F_DUMP_INTR/));
    assert.equal((await reader.read(never)).rules.count, 150);
    assert.equal(kernel.opened, 2);
  });

  test("a dump refused without CAP_NET_ADMIN is NFPROM_EPERM, worded for the sysadmin", async () => {
    const reader = chainReader(new FakeKernel([K("rules-eperm")]));
    await assert.rejects(reader.read(never), fails(ErrorCodes.EPERM, /CAP_NET_ADMIN/));
  });

  test("an empty dump of a missing table is NFPROM_NO_TABLE once the lookup says ENOENT", async () => {
    const kernel = new FakeKernel(["missing-table", K("chain-missing-table")]);
    const reader = chainReader(kernel, { ...CHAIN, table: "nosuchtable" });
    await assert.rejects(reader.read(never), fails(ErrorCodes.NO_TABLE, /nosuchtable does not exist/));
  });

  test("an empty chain that exists is an empty read", async () => {
    const reader = chainReader(new FakeKernel(["empty", "chain-found"]));
    assert.equal((await reader.read(never)).rules.count, 0);
  });

  test("family 0: one datagram of lookups in every family, each answered apart; each family with the chain is read", async () => {
    const kernel = new FakeKernel([
      K("chain-lookup-batched"),
      K("rules-two-families-inet"),
      K("rules-two-families-ip"),
    ]);
    const reader = chainReader(kernel, { ...CHAIN, family: FAMILIES.all });
    const rules = rulesFromColumns((await reader.read(never)).rules);
    assert.deepEqual(
      rules.map((r) => [r.family, r.comment, r.packets, r.bytes]),
      [
        [FAMILIES.inet, "nft(service=ssh)", 0n, 0n],
        [FAMILIES.ip, "nft(service=dns)", 2n, 150n],
      ],
    );
    assert.deepEqual(kernel.replayed, [
      K("chain-lookup-batched"),
      K("rules-two-families-inet"),
      K("rules-two-families-ip"),
    ]);
    assert.deepEqual(kernel.unanswered, []);
  });

  test("a dump that stops mid-way times out; the socket is replaced and the next read is whole", async () => {
    const kernel = new FakeKernel();
    kernel.answer("multipart", { kind: "silent-after", datagrams: 2 }).answer("multipart");
    const reader = chainReader(kernel);
    await assert.rejects(reader.read(never), fails(ErrorCodes.TIMEOUT, /no reply/));
    assert.equal((await reader.read(never)).rules.count, loadFixture("multipart").rules.length);
    assert.equal(kernel.opened, 2);
  });

  test("the read's hard bound stops a dump between datagrams", async () => {
    const kernel = new FakeKernel([K("rules-many")]);
    kernel.batch = 1; // one datagram per receive: the bound is checked between them
    const reader = chainReader(kernel);
    await assert.rejects(
      reader.read(() => true),
      fails(ErrorCodes.TIMEOUT, /deadline exceeded during dump rules/),
    );
  });

  test("a socket that cannot be opened is NFPROM_SOCKET", async () => {
    const kernel = new FakeKernel(["basic"]);
    kernel.openErrno = 93; // EPROTONOSUPPORT: no nfnetlink
    await assert.rejects(chainReader(kernel).read(never), fails(ErrorCodes.SOCKET));
  });
});

describe("SourceRunner over captured dumps", () => {
  const objects = () => objectsSource([parsePattern("*/*")], [parsePattern("*/*")]);

  test("objects: named counters and quotas of every family", async () => {
    const runner = new SourceRunner(objects(), {
      recvTimeoutMs: 1_000,
      openSocket: new FakeKernel(["sources/objects"]).open,
    });
    const sections = await runner.collect(never);
    assert.deepEqual(sections.counters?.names, ["ssh_in", "huge", "plain", "c2"]);
    assert.deepEqual(
      sections.quotas?.map((q) => q.name),
      ["web_until", "web_over"],
    );
  });

  test("a receive that fails with an errno rejects, and the next collect opens a new socket", async () => {
    const kernel = new FakeKernel();
    kernel.answer("sources/objects", { kind: "recv-errno", errno: 105 }).answer("sources/objects");
    const runner = new SourceRunner(objects(), { recvTimeoutMs: 1_000, openSocket: kernel.open });
    await assert.rejects(runner.collect(never), fails(ErrorCodes.SOCKET, /errno 105/));
    assert.equal((await runner.collect(never)).counters?.names.length, 4);
    assert.equal(kernel.opened, 2);
  });

  test("sets: a set deleted between the listing and its dump is gone from the read, not an error", async () => {
    const kernel = new FakeKernel([K("sets-gone"), K("setelem-kept"), K("setelem-gone")]);
    const runner = new SourceRunner(setsSource([parsePattern("*/*")], 100, 1), {
      recvTimeoutMs: 1_000,
      openSocket: kernel.open,
    });
    const sections = await runner.collect(never);
    assert.deepEqual(
      sections.sets?.map((s) => [s.name, s.keys]),
      [["kept", ["192.0.2.1"]]],
    );
    assert.ok(kernel.replayed.includes(K("setelem-gone")), "the gone set was asked for");
  });
});

describe("WholeReadProof over captured generations", () => {
  const proofKernel = (...generations: string[]) => {
    const kernel = new FakeKernel([K("barrier")]);
    for (const g of generations) kernel.answer(K(g));
    return kernel;
  };

  test("equal generations around a read prove it whole", async () => {
    const proof = new WholeReadProof({ recvTimeoutMs: 1_000, openSocket: proofKernel("generation-1").open });
    const before = await proof.begin();
    assert.equal(await proof.end(before), before);
    proof.close();
  });

  test("a commit during the read is NFPROM_RULESET_CHANGED", async () => {
    const proof = new WholeReadProof({
      recvTimeoutMs: 1_000,
      openSocket: proofKernel("generation-1", "generation-1", "generation-2").open,
    });
    const before = await proof.begin();
    await assert.rejects(proof.end(before), fails(ErrorCodes.RULESET_CHANGED, /generation 2 → 3/));
    proof.close();
  });
});

describe("Collector over captured dumps", () => {
  const options: CollectorOptions = { maxAttempts: 3, maxReadMs: 5_000 };
  const collector = (kernel: FakeKernel, proof = false, sources: SourceRunner[] = []) =>
    new Collector(
      chainReader(kernel),
      sources,
      proof ? new WholeReadProof({ recvTimeoutMs: 1_000, openSocket: kernel.open }) : undefined,
      options,
      () => {},
    );

  test("a torn dump is retried, and the retry is counted", async () => {
    const c = collector(new FakeKernel([K("rules-dump-intr"), K("rules-many")]));
    const snapshot = await c.read(Date.now() + 5_000);
    assert.equal(snapshot.attempts, 2);
    assert.equal(snapshot.rules.count, 150);
    assert.equal(c.stats.retries.dump_interrupted, 1);
    c.close();
  });

  test("a generation that moved during the read is retried, and the next read is proven", async () => {
    const kernel = new FakeKernel([K("barrier"), K("generation-1"), K("generation-1"), K("generation-2")]);
    kernel.answer("basic");
    const c = collector(kernel, true);
    const snapshot = await c.read(Date.now() + 5_000);
    assert.equal(c.stats.retries.ruleset_changed, 1);
    assert.equal(snapshot.attempts, 2);
    assert.equal(snapshot.generation, 3);
    assert.deepEqual(kernel.unanswered, []);
    c.close();
  });

  test("while every attempt is torn, a scrape gets the last complete snapshot, marked stale", async () => {
    const kernel = new FakeKernel([K("rules-many"), K("rules-dump-intr")]);
    const c = collector(kernel);
    const first = await c.read(Date.now() + 5_000);
    const stale = await c.read(Date.now() + 5_000);
    assert.equal(stale.stale, "ruleset_changing");
    assert.ok((stale.ageMs ?? 0) >= 1);
    assert.equal(stale.rules, first.rules);
    assert.equal(c.stats.retries.dump_interrupted, options.maxAttempts);
    assert.equal(c.stats.staleServed.ruleset_changing, 1);
    c.close();
  });

  test("a source slower than the deadline loses its section; the rules are served", async () => {
    const kernel = new FakeKernel(["basic"]);
    kernel.answer("sources/objects", { kind: "hang" });
    const runner = new SourceRunner(objectsSource([parsePattern("*/*")], []), {
      recvTimeoutMs: 1_000,
      openSocket: kernel.open,
    });
    const c = collector(kernel, false, [runner]);
    const snapshot = await c.read(Date.now() + 150);
    assert.equal(snapshot.rules.count, loadFixture("basic").rules.length);
    assert.deepEqual(
      snapshot.sources?.map((s) => [s.name, s.ok]),
      [["objects", false]],
    );
    assert.equal(snapshot.counters, undefined);
    assert.equal(c.stats.readErrors[ErrorCodes.TIMEOUT], 1);
    c.close();
  });

  test("a kernel slower than the scrape's deadline: the scrape fails in time, nothing to stand in", async () => {
    const kernel = new FakeKernel();
    kernel.answer("basic", { kind: "hang" });
    const c = collector(kernel);
    const started = Date.now();
    await assert.rejects(c.read(Date.now() + 100), fails(ErrorCodes.TIMEOUT, /read deadline exceeded/));
    assert.ok(Date.now() - started < 2_000, "the scrape did not wait for the kernel");
    c.close();
  });

  test("with -read.background-timeout, a late read is answered with the last snapshot, marked stale", async () => {
    const kernel = new FakeKernel(["basic"]).answer("basic", { kind: "hang" }); // first whole, then slow
    const c = new Collector(
      chainReader(kernel),
      [],
      undefined,
      { ...options, backgroundMs: 5_000 },
      () => {},
    );
    const first = await c.read(Date.now() + 5_000);
    const late = await c.read(Date.now() + 100);
    assert.equal(late.stale, "timeout");
    assert.equal(late.rules, first.rules);
    assert.equal(c.stats.staleServed.timeout, 1);
    c.close();
  });

  test("a read that fails with nothing to stand in rejects with the kernel's reason", async () => {
    const c = collector(new FakeKernel([K("rules-eperm")]));
    await assert.rejects(c.read(Date.now() + 5_000), fails(ErrorCodes.EPERM));
    assert.equal(c.stats.readErrors[ErrorCodes.EPERM], 1);
    c.close();
  });
});
