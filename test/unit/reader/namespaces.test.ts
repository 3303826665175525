import assert from "node:assert/strict";
import { linkSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgs, UsageError } from "../../../src/cli/flags.js";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { emptyReadStats } from "../../../src/reader/collector.js";
import { type NamespaceReader, NetnsReader, selectNamespaces } from "../../../src/reader/namespaces.js";
import { CaptureLogger } from "../helpers/logger.js";
import { ruleSnapshot } from "../helpers/snapshot.js";

/** A /run/netns stand-in: plain files (each its own inode, as each namespace is). */
function netnsDir(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "nfprom-netns-"));
  for (const name of names) writeFileSync(join(dir, name), "");
  return dir;
}

test("selection: globs and all match names, paths stay selected even unreadable, each namespace once", (t) => {
  const dir = netnsDir(["blue", "green", "red"]);
  t.after(() => rmSync(dir, { recursive: true }));
  linkSync(join(dir, "blue"), join(dir, "blue-again")); // one namespace under two names
  const labels = (selectors: string[]) => selectNamespaces(selectors, dir).map((n) => n.label);
  assert.deepEqual(labels(["g*"]), ["green"]);
  assert.deepEqual(labels(["all"]), ["blue", "green", "red"]);
  assert.deepEqual(labels(["red", join(dir, "green"), "/no/such/netns"]), [
    "red",
    join(dir, "green"),
    "/no/such/netns",
  ]);
  assert.deepEqual(labels(["green", join(dir, "green")]), ["green"]);
  assert.deepEqual(labels([join(dir, "green"), "green"]), ["green"], "the name, whatever the order");
  assert.deepEqual(selectNamespaces(["*"], join(dir, "absent")), []);
});

test("selection: a name that is no UTF-8 (ip netns takes any bytes) is selected, named \\xNN, and entered", (t) => {
  const dir = netnsDir(["blue"]);
  t.after(() => rmSync(dir, { recursive: true }));
  const raw = Buffer.concat([Buffer.from("tenant-\u00e9-"), Buffer.from([0xff, 0x41])]);
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), raw]), "");
  const [target, ...rest] = selectNamespaces(["tenant-*"], dir);
  assert.equal(rest.length, 0);
  assert.equal(target?.label, "tenant-\\xc3\\xa9-\\xffA");
  assert.equal(
    statSync((target as { path: Buffer }).path).ino,
    statSync(Buffer.concat([Buffer.from(`${dir}/`), raw])).ino,
  );
  assert.deepEqual(
    selectNamespaces(["all"], dir).map((n) => n.label),
    ["blue", "tenant-\\xc3\\xa9-\\xffA"],
  );
});

/** FakeReader: a namespace's reader that fails when its path says so, and counts what it was asked. */
class FakeReader implements NamespaceReader {
  readonly stats = emptyReadStats();
  closed = false;
  constructor(readonly path: string) {}
  async read() {
    if (this.path.endsWith("broken")) {
      this.stats.readErrors.NFPROM_SOCKET = (this.stats.readErrors.NFPROM_SOCKET ?? 0) + 1;
      throw new NfpromError(ErrorCodes.SOCKET, "netns: setns: EINVAL");
    }
    this.stats.retries.ruleset_changed++;
    return ruleSnapshot(1, () => "nft(a=b)");
  }
  close() {
    this.closed = true;
  }
}

test("NetnsReader: one failing namespace fails alone; gone ones are closed, new ones read, counters only grow", async (t) => {
  const dir = netnsDir(["a", "b", "broken"]);
  t.after(() => rmSync(dir, { recursive: true }));
  const readers: FakeReader[] = [];
  const reader = new NetnsReader(
    ["*"],
    ({ path }) => readers[readers.push(new FakeReader(String(path))) - 1] as FakeReader,
    new CaptureLogger(),
    dir,
  );
  const outcome = (reads: Awaited<ReturnType<NetnsReader["read"]>>) =>
    reads.map((r) => `${r.netns}:${"snapshot" in r ? "ok" : r.error.code}`);
  assert.deepEqual(outcome(await reader.read(Date.now() + 1000)), ["a:ok", "b:ok", "broken:NFPROM_SOCKET"]);
  assert.equal(readers.length, 3);
  rmSync(join(dir, "b"));
  writeFileSync(join(dir, "c"), "");
  assert.deepEqual(outcome(await reader.read(Date.now() + 1000)), ["a:ok", "broken:NFPROM_SOCKET", "c:ok"]);
  assert.equal(readers.find((r) => r.path.endsWith("/b"))?.closed, true);
  assert.equal(readers.length, 4, "a and broken kept their readers");
  // b's two reads stay counted after it went: 2 (a) + 1 (b) + 1 (c) retries, 2 socket errors.
  assert.equal(reader.stats.retries.ruleset_changed, 4);
  assert.equal(reader.stats.readErrors.NFPROM_SOCKET, 2);
  // A namespace made again under its name is another namespace: a fresh reader.
  writeFileSync(join(dir, "a.new"), "");
  renameSync(join(dir, "a.new"), join(dir, "a"));
  await reader.read(Date.now() + 1000);
  assert.equal(readers.filter((r) => r.path.endsWith("/a")).length, 2);
  reader.close();
  assert.ok(readers.every((r) => r.closed));
});

test("-netns: names, globs, all and absolute paths; a relative path is refused", () => {
  const run = parseArgs([
    "-netns",
    "blue",
    "-netns",
    "tenant-*",
    "-netns",
    "/proc/42/ns/net",
    "-netns",
    "all",
  ]);
  assert.ok(run.kind === "run");
  assert.deepEqual(run.config.netns, ["blue", "tenant-*", "/proc/42/ns/net", "all"]);
  assert.throws(() => parseArgs(["-netns", "proc/42/ns/net"]), UsageError);
  assert.throws(() => parseArgs(["-netns", ""]), UsageError);
  assert.throws(() => parseArgs(["check", "-netns", "blue"]), UsageError);
});
