// Core integration test (issue 2 §8, seed flag -jsonfile): after each scrape the snapshot is in the file, in the
// Go tool's shape, with exact big integers, mode 0640, group nogroup, written atomically (write + rename: a
// concurrent reader never sees a torn file, and no temporary file is left behind).
import assert from "node:assert/strict";
import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { commentVerdict, NOGROUP } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  type OracleRule,
  parseNftJson,
  readChainOracle,
  requireRoot,
  startNfprom,
} from "./harness.js";

interface Entry {
  Bytes: bigint;
  Packets: bigint;
  Labels: string[];
  Fields: Record<string, string>;
}

/** Parses the file with big integers kept exact, and checks the shape of every entry. */
function parseJsonFile(text: string): Entry[] {
  const doc = parseNftJson(text);
  assert.ok(Array.isArray(doc), "top level must be an array");
  return doc.map((raw: unknown, i: number) => {
    const e = raw as Record<string, unknown>;
    assert.deepEqual(Object.keys(e), ["Bytes", "Packets", "Labels", "Fields"], `entry ${i} keys`);
    for (const k of ["Bytes", "Packets"]) {
      const v = e[k];
      assert.ok(typeof v === "number" || typeof v === "string", `entry ${i} ${k}: ${typeof v}`);
      assert.match(String(v), /^\d+$/, `entry ${i} ${k} must be a non-negative integer`);
    }
    assert.ok(Array.isArray(e.Labels) && e.Labels.every((l) => typeof l === "string"));
    assert.ok(e.Fields !== null && typeof e.Fields === "object" && !Array.isArray(e.Fields));
    return {
      Bytes: BigInt(String(e.Bytes)),
      Packets: BigInt(String(e.Packets)),
      Labels: e.Labels as string[],
      Fields: e.Fields as Record<string, string>,
    };
  });
}

/** One entry per exported rule (valid nft(...) comment and a counter), in chain order. */
function expectedEntries(rules: readonly OracleRule[]): Entry[] {
  const out: Entry[] = [];
  for (const r of rules) {
    const v = commentVerdict(r.comment);
    if (typeof v === "string" || r.bytes === undefined || r.packets === undefined) continue;
    const keys = Object.keys(v).sort();
    out.push({
      Bytes: r.bytes,
      Packets: r.packets,
      Labels: keys,
      Fields: Object.fromEntries(keys.map((k) => [k, v[k] as string])),
    });
  }
  return out;
}

const RULES = 400;

test("-jsonfile: exact big integers, seed shape, mode 0640 group nogroup, atomic (no torn reads, no leftovers)", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("json", { t });
  const rules = [
    'tcp dport 1 counter packets 18446744073709551615 bytes 9223372036854775813 comment "nft(svc=max;dir=in)"',
    'tcp dport 2 counter packets 9007199254740993 bytes 0 comment "nft(svc=2p53;dir=in)"',
    'tcp dport 3 counter packets 1 bytes 1 comment "not exported"',
    'tcp dport 4 counter packets 1 bytes 1 comment "nft(bad-key=1)"',
    'tcp dport 5 counter packets 1 bytes 1 comment "nft( svc = a b=c ;dir=out;)"',
  ];
  for (let i = 0; i < RULES; i++) {
    rules.push(
      `tcp dport ${100 + i} counter packets ${i} bytes ${i * 1000} comment "nft(svc=r${i};dir=out)"`,
    );
  }
  await ns.nft(accountingRuleset(rules, { hooks: false }));
  const dir = ns.tempDir();
  const file = join(dir, "nfprom.json");
  const h = await startNfprom(ns, ["-jsonfile", file]);

  // Scrape, then the file must hold exactly what the kernel has.
  assert.equal((await h.scrape()).status, 200);
  const oracle = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(oracle);
  const text = readFileSync(file, "utf8");
  const entries = parseJsonFile(text);
  assert.deepEqual(entries, expectedEntries(oracle));
  assert.equal(entries.length, RULES + 3);
  // Exact integer literals in the text, not floats and not strings.
  assert.ok(
    text.includes('{"Bytes":9223372036854775813,"Packets":18446744073709551615,'),
    text.slice(0, 300),
  );
  assert.ok(text.includes('"Packets":9007199254740993,'));
  const st = statSync(file);
  assert.equal(st.mode & 0o777, 0o640, `mode ${(st.mode & 0o777).toString(8)}`);
  assert.equal(st.gid, NOGROUP, "group must be -g (nogroup)");
  assert.equal(st.uid, 0);
  assert.deepEqual(readdirSync(dir), ["nfprom.json"]);

  // Atomicity: read the file as fast as possible while scrapes rewrite it; every read must be a whole snapshot.
  let reads = 0;
  let stop = false;
  const failures: string[] = [];
  const reader = (async () => {
    while (!stop) {
      const content = await readFile(file, "utf8");
      reads++;
      try {
        assert.equal(parseJsonFile(content).length, RULES + 3);
      } catch (err) {
        failures.push(
          `${(err as Error).message}: ${content.length} bytes, ends ${JSON.stringify(content.slice(-40))}`,
        );
      }
    }
  })();
  try {
    for (let i = 0; i < 12; i++) {
      if (i === 6) {
        // Change a rule's counter mid-way: the file follows.
        const max = oracle.find((r) => r.comment === "nft(svc=max;dir=in)");
        assert.ok(max);
        await ns.nftCmd(
          ["replace", "rule", "inet", "firewall", "accounting", "handle", String(max.handle)].concat([
            "tcp",
            "dport",
            "1",
            "counter",
            "packets",
            "42",
            "bytes",
            "4242",
            "comment",
            '"nft(svc=max;dir=in)"',
          ]),
        );
      }
      assert.equal((await h.scrape()).status, 200);
    }
  } finally {
    stop = true;
    await reader;
  }
  assert.deepEqual(failures, [], `torn reads (of ${reads})`);
  assert.ok(reads > 20, `only ${reads} concurrent reads`);
  const after = await readChainOracle(ns, "inet", "firewall", "accounting");
  assert.ok(after);
  const final = parseJsonFile(readFileSync(file, "utf8"));
  assert.deepEqual(final, expectedEntries(after));
  assert.deepEqual(final[0], {
    Bytes: 4242n,
    Packets: 42n,
    Labels: ["dir", "svc"],
    Fields: { dir: "in", svc: "max" },
  });
  assert.deepEqual(readdirSync(dir), ["nfprom.json"], "temporary files left behind");
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.equal(statSync(file).gid, NOGROUP);
});

test("-jsonfile: a symlink planted at the temporary name by the web user is not followed", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("jsonlink", { t });
  await ns.nft(accountingRuleset(['counter packets 1 bytes 2 comment "nft(a=b)"'], { hooks: false }));
  // The -jsonfile directory is writable by the web process' group (root:nogroup 0775), e.g. so that the web
  // side could manage the file as with the Go tool. A compromised web process can then plant symlinks in it.
  const dir = ns.tempDir();
  chownSync(dir, 0, NOGROUP);
  chmodSync(dir, 0o775);
  const victimDir = ns.tempDir();
  const victim = join(victimDir, "precious");
  writeFileSync(victim, "precious\n", { mode: 0o600 });
  const file = join(dir, "nfprom.json");
  const h = await startNfprom(ns, ["-jsonfile", file]);
  // The unprivileged user plants symlinks at every temporary name the reader might use for this pid.
  for (const name of [`nfprom.json.tmp-${h.pid}`, `nfprom.json.tmp`, `.nfprom.json.tmp`]) {
    const r = await ns.exec("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "ln",
      "-s",
      victim,
      join(dir, name),
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal((await h.scrape()).status, 200);
  assert.equal(readFileSync(victim, "utf8"), "precious\n", "the reader wrote through the planted symlink");
  assert.equal(statSync(victim).gid, 0, "the reader chgrp'ed the symlink's target");
  assert.match(readFileSync(file, "utf8"), /^\[\{"Bytes":2,"Packets":1,/);
});
