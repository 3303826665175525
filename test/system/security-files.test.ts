// The files nfprom writes, against a hostile or full file system, on the real kernel (docs/security.md,
// rows 6 and 7): -jsonfile and `textfile --output` on a full tmpfs (mounted in a private mount namespace
// of the test, never a real file system), and a directory planted where the JSON file goes.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { logLines } from "./core-common.js";
import { accountingRuleset, Netns, NFPROM_MAIN, requireRoot, run, startNfprom } from "./harness.js";
import { burst } from "./web-fixtures.js";

/** 200 rules with long label values: a textfile of ~60 KB and a JSON file of ~45 KB. */
function ruleset(): string {
  const pad = "y".repeat(90);
  const rules = Array.from({ length: 200 }, (_, i) => `counter comment "nft(svc=s${i}_${pad})"`);
  return accountingRuleset(rules, { hooks: false });
}

/**
 * onFullTmpfs: a command line that, in a mount namespace of its own, mounts a 64 KiB tmpfs on `dir`, puts
 * the previous good `file` there, fills all but ~20 KiB, then runs `then` (shell, "$@" is `command`).
 */
function onFullTmpfs(dir: string, file: string, then: string, command: string[]): string[] {
  const fill = `mount -t tmpfs -o size=64k nfprom-full "$0" && printf 'old\\n' > "$0/${file}" && head -c 40000 /dev/zero > "$0/filler"`;
  return ["unshare", "-m", "--propagation", "private", "sh", "-c", `${fill} && ${then}`, dir, ...command];
}

test("row 6: textfile on a full file system: exit 1, the old file intact, no temporary file", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("full", { t });
  await ns.nft(ruleset());
  const dir = ns.tempDir();
  const output = join(dir, "nfprom.prom");
  const [cmd, ...args] = onFullTmpfs(
    dir,
    "nfprom.prom",
    '{ "$@"; echo "exit=$?"; ls -A "$0"; cat "$0/nfprom.prom"; }',
    [process.execPath, NFPROM_MAIN, "textfile", "-output", output],
  );
  const r = await ns.exec(cmd as string, args);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["exit=1", "filler", "nfprom.prom", "old"]);
  assert.match(r.stderr, /cannot write the textfile.*ENOSPC/);
});

test("row 6: -jsonfile on a full file system: the old file intact, no temporary file, scrapes still served", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("full", { t });
  await ns.nft(ruleset());
  const dir = ns.tempDir();
  const jsonfile = join(dir, "nfprom.json");
  const h = await startNfprom(ns, ["-jsonfile", jsonfile], {
    command: onFullTmpfs(dir, "nfprom.json", 'exec "$@"', [process.execPath, NFPROM_MAIN]),
  });
  assert.deepEqual((await burst(ns, h.metricsUrl, 10, 15_000)).statuses, { 200: 10 });
  const inside = await run("nsenter", [
    "-t",
    String(h.pid),
    "-m",
    "--",
    "sh",
    "-c",
    `ls -A "${dir}"; cat "${jsonfile}"`,
  ]);
  assert.equal(inside.code, 0, inside.stderr);
  assert.deepEqual(inside.stdout.trim().split("\n"), ["filler", "nfprom.json", "old"]);
  const failures = logLines(h, "cannot write the JSON file");
  assert.ok(failures.length >= 1 && failures.length <= 5, `${failures.length} lines`);
  assert.match(failures[0] ?? "", /ENOSPC/);
});

test("row 7: a directory planted where the JSON file goes: no temporary file left behind, scrapes served", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("planted", { t });
  await ns.nft(ruleset());
  const dir = ns.tempDir();
  const jsonfile = join(dir, "nfprom.json");
  mkdirSync(jsonfile);
  const h = await startNfprom(ns, ["-jsonfile", jsonfile]);
  for (let i = 0; i < 3; i++)
    assert.deepEqual((await burst(ns, h.metricsUrl, 10, 15_000)).statuses, { 200: 10 });
  assert.deepEqual(readdirSync(dir), ["nfprom.json"]);
  assert.deepEqual(readdirSync(jsonfile), []);
  const failures = logLines(h, "cannot write the JSON file");
  assert.ok(failures.length >= 1 && failures.length <= 5, `${failures.length} lines`);
});
