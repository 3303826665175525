// Core integration tests (issue 2 §8, seed compatibility): bad flags exit 2 with one line on stderr, -v and
// --help exit 0, and the seed's flag spellings (-flag value, -flag=value, --flag value) all reach the processes
// (-table/-chain the reader, -namespace the web process).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ruleLines } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  REPO_ROOT,
  requireRoot,
  runNfprom,
  startNfprom,
} from "./harness.js";

const SEED_FLAGS = ["chain", "table", "listen", "namespace", "jsonfile", "timeout", "u", "g", "v"];

test("flags: an unknown flag or a bad value exits 2 with one line and where the help is on stderr, before doing anything", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("flags", { t });
  const cases: [string[], RegExp][] = [
    [["-bogus"], /bogus/],
    [["--no-such-flag=1"], /no-such-flag/],
    [["-family", "foo"], /family/],
    [["-timeout", "3"], /timeout/],
    [["-timeout", "0s"], /timeout/],
    [["-timeout=soon"], /timeout/],
    [["-listen", "nonsense"], /listen/],
    [["-listen", ":99999"], /listen/],
    [["-namespace", "1bad"], /namespace/],
    [["-table", ""], /table/],
    [["-chain"], /chain/],
    [["-v=maybe"], /v/],
    [["stray"], /stray/],
  ];
  for (const [args, mention] of cases) {
    const r = await runNfprom(ns, args);
    const what = `nfprom ${args.join(" ")}: exit ${r.code}\n${r.stderr}`;
    assert.equal(r.code, 2, what);
    assert.equal(r.stdout, "", what);
    assert.deepEqual(
      r.stderr.split("\n").slice(1),
      ["see `nfprom --help`", ""],
      `one line and a pointer: ${what}`,
    );
    assert.match(r.stderr.split("\n")[0] as string, mention, `the first line names the problem: ${what}`);
  }
  assert.deepEqual(ns.pids(), []);
});

test("flags: -v prints the version, --help prints the usage; both exit 0", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("help", { t });
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  for (const v of ["-v", "--v", "-v=true"]) {
    const r = await runNfprom(ns, [v]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, new RegExp(`^nfprom ${pkg.version.replace(/\./g, "\\.")}\\b`), r.stdout);
    assert.equal(r.stdout.split("\n").filter((l) => l !== "").length, 1, r.stdout);
  }
  for (const help of ["--help", "-help", "-h"]) {
    const r = await runNfprom(ns, [help]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /Usage/);
    for (const f of SEED_FLAGS)
      assert.match(r.stdout, new RegExp(`(^|\\s)--?${f}\\b`, "m"), `--help lacks -${f}`);
    for (const d of [":9830", "3s", "nobody", "nogroup", "firewall", "accounting"]) {
      assert.ok(r.stdout.includes(d), `--help does not show the default ${d}`);
    }
  }
});

test("flags: -flag value, -flag=value and --flag value all reach the reader and the web process", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("forms", { t });
  await ns.nft(
    accountingRuleset(['tcp dport 1 counter packets 4 bytes 40 comment "nft(svc=x)"'], {
      table: "fw2",
      chain: "acc2",
      hooks: false,
    }),
  );
  const port = ns.freePort();
  const h = await startNfprom(ns, [
    "-table=fw2",
    "--chain",
    "acc2",
    "-namespace",
    "myns",
    "--family=inet",
    `--listen=127.0.0.1:${port}`,
    "-timeout=2s",
  ]);
  const res = await h.scrape();
  assert.equal(res.status, 200);
  const e = parseExposition(res.body);
  assert.deepEqual(ruleLines(res.body, "myns"), [
    'myns_bytes_total{svc="x"} 40',
    'myns_packets_total{svc="x"} 4',
  ]);
  assert.equal(e.get("myns_up"), 1n);
  // -namespace reaches the web process: none of nfprom's own metrics keeps the default prefix.
  assert.deepEqual(
    e.list.filter((s) => s.name.startsWith("nfprom_")).map((s) => s.name),
    [],
    "metrics with the default prefix despite -namespace myns",
  );
  for (const m of ["myns_up", "myns_scrape_duration_seconds", "myns_build_info", "myns_rules"]) {
    assert.ok(e.byName(m).length > 0, `${m} missing`);
  }
});

test("-family all (the default) reads the chain in every family that has it; -family picks one", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("fams", { t });
  const families = ["ip", "ip6", "bridge", "arp"];
  await ns.nft(
    families
      .map(
        (f, i) =>
          `table ${f} firewall {\n chain accounting {\n  counter packets ${i + 1} bytes ${(i + 1) * 100} comment "nft(f=${f})"\n }\n}`,
      )
      .join("\n"),
  );
  const h = await startNfprom(ns, []);
  const all = parseExposition((await h.scrape()).body);
  for (const [i, f] of families.entries()) {
    assert.equal(all.get("nfprom_bytes_total", { f }), BigInt((i + 1) * 100), f);
  }
  assert.equal(all.byName("nfprom_bytes_total").length, families.length);
  await h.stop();
  const one = await startNfprom(ns, ["-family", "ip6"]);
  const only = parseExposition((await one.scrape()).body);
  assert.deepEqual(
    only.byName("nfprom_bytes_total").map((s) => s.labels.f),
    ["ip6"],
  );
});
