import assert from "node:assert/strict";
import { describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { BasicAuth, MAX_PENDING_COMPARISONS, parseBasic } from "../../../src/web/auth.js";
import { BcryptThread } from "../../../src/web/bcrypt-thread.js";

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const HASH = bcrypt.hashSync("s3cret:with:colons", 4);

/** A spy around bcrypt.compare that records the hashes it was asked about. */
function spy() {
  const hashes: string[] = [];
  const compare = (password: string, hash: string) => {
    hashes.push(hash);
    return bcrypt.compare(password, hash);
  };
  return { hashes, compare };
}

describe("BasicAuth", () => {
  test("no users: disabled, and nothing authenticates", async () => {
    const auth = new BasicAuth({});
    assert.equal(auth.enabled, false);
    assert.equal(await auth.check(basic("a", "b")), "denied");
  });

  test("the right password passes; a wrong one, another user, or no header fails", async () => {
    const auth = new BasicAuth({ alice: HASH });
    assert.equal(auth.enabled, true);
    assert.equal(await auth.check(basic("alice", "s3cret:with:colons")), "ok");
    assert.equal(await auth.check(basic("alice", "s3cret")), "denied");
    assert.equal(await auth.check(basic("bob", "s3cret:with:colons")), "denied");
    assert.equal(await auth.check(undefined), "denied");
    assert.equal(await auth.check("Bearer abc"), "denied");
  });

  test("an unknown user costs one bcrypt compare against a hash of the configured cost", async () => {
    const s = spy();
    const auth = new BasicAuth({ alice: bcrypt.hashSync("pw", 6) }, s.compare);
    assert.equal(await auth.check(basic("mallory", "pw")), "denied");
    assert.equal(s.hashes.length, 1);
    assert.equal(bcrypt.getRounds(s.hashes[0] as string), 6);
    assert.notEqual(s.hashes[0], undefined);
  });

  test("with mixed costs the dummy hash takes the highest", async () => {
    const s = spy();
    const auth = new BasicAuth({ a: bcrypt.hashSync("x", 4), b: bcrypt.hashSync("y", 7) }, s.compare);
    await auth.check(basic("nobody", "z"));
    assert.equal(bcrypt.getRounds(s.hashes[0] as string), 7);
  });

  test("unknown and known users fail in about the same time (cost 8)", async () => {
    const auth = new BasicAuth({ alice: bcrypt.hashSync("right", 8) });
    const timed = async (user: string, i: number) => {
      const t0 = performance.now();
      assert.equal(await auth.check(basic(user, `wrong${i}`)), "denied");
      return performance.now() - t0;
    };
    await timed("alice", -1); // the bcrypt thread starts on first use
    // Interleaved, so that both see the same load on a shared machine; medians of nine each.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      known.push(await timed("alice", i));
      unknown.push(await timed("mallory", i));
    }
    const median = (runs: number[]) => runs.sort((a, b) => a - b)[4] as number;
    const ratio = median(unknown) / median(known);
    assert.ok(
      ratio > 0.5 && ratio < 2,
      `unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`,
    );
  });

  test("a success is cached; failures are not", async () => {
    const s = spy();
    const auth = new BasicAuth({ alice: HASH }, s.compare);
    for (let i = 0; i < 3; i++) assert.equal(await auth.check(basic("alice", "s3cret:with:colons")), "ok");
    assert.equal(s.hashes.length, 1);
    for (let i = 0; i < 3; i++) assert.equal(await auth.check(basic("alice", "nope")), "denied");
    assert.equal(s.hashes.length, 4);
  });

  test("a new configuration (new hash) does not reuse old verdicts", async () => {
    const s = spy();
    const before = new BasicAuth({ alice: HASH }, s.compare);
    assert.equal(await before.check(basic("alice", "s3cret:with:colons")), "ok");
    const after = new BasicAuth({ alice: bcrypt.hashSync("changed", 4) }, s.compare);
    assert.equal(await after.check(basic("alice", "s3cret:with:colons")), "denied");
  });

  test("beyond MAX_PENDING_COMPARISONS a check is busy at once, without bcrypt; a cached one still passes", async () => {
    const s = spy();
    const auth = new BasicAuth({ alice: HASH }, s.compare);
    assert.equal(await auth.check(basic("alice", "s3cret:with:colons")), "ok");
    const release: (() => void)[] = [];
    const stalled = new BasicAuth({ alice: HASH }, (password, hash) => {
      s.hashes.push(hash);
      return new Promise((resolve) => release.push(() => resolve(bcrypt.compareSync(password, hash))));
    });
    const flood = Array.from({ length: MAX_PENDING_COMPARISONS }, (_, i) =>
      stalled.check(basic("alice", `x${i}`)),
    );
    const before = s.hashes.length;
    assert.equal(await stalled.check(basic("alice", "another")), "busy");
    assert.equal(await stalled.check(basic("mallory", "guess")), "busy");
    assert.equal(s.hashes.length, before, "no comparison started for a busy check");
    for (const r of release) r();
    assert.deepEqual(await Promise.all(flood), Array(MAX_PENDING_COMPARISONS).fill("denied"));
    assert.equal(await auth.check(basic("alice", "s3cret:with:colons")), "ok");
  });

  test("the bcrypt thread: right and wrong passwords, a malformed hash, the event loop free meanwhile", async () => {
    const thread = new BcryptThread();
    const hash = bcrypt.hashSync("pw", 10);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const results = await Promise.all([
      thread.compare("pw", hash),
      thread.compare("nope", hash),
      thread.compare("pw", "not a hash"),
    ]);
    clearInterval(timer);
    assert.deepEqual(results, [true, false, false]);
    const elapsed = performance.now() - t0;
    // Two comparisons at cost 10 ran on the thread; the loop kept ticking (not one long block).
    assert.ok(ticks > elapsed / 5 / 4, `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  });

  test("a compare that throws counts as a failure", async () => {
    const auth = new BasicAuth({ alice: HASH }, () => Promise.reject(new Error("boom")));
    assert.equal(await auth.check(basic("alice", "s3cret:with:colons")), "denied");
  });
});

describe("parseBasic", () => {
  const cases: [string | undefined, { user: string; password: string } | undefined][] = [
    [basic("u", "p"), { user: "u", password: "p" }],
    [basic("u", "p:q"), { user: "u", password: "p:q" }],
    [basic("", ""), { user: "", password: "" }],
    [basic("ü", "日本"), { user: "ü", password: "日本" }],
    [`basic ${Buffer.from("u:p").toString("base64")}`, { user: "u", password: "p" }],
    [`Basic ${Buffer.from("nocolon").toString("base64")}`, undefined],
    ["Basic !!!", undefined],
    ["Digest abc", undefined],
    [undefined, undefined],
  ];
  for (const [header, want] of cases)
    test(JSON.stringify(header), () => assert.deepEqual(parseBasic(header), want));
});
