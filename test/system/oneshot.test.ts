// `nfprom dump` and `nfprom textfile` on the real kernel: the same exposition as a scrape, no web process.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  accountingRuleset,
  Netns,
  NFPROM_MAIN,
  parseExposition,
  promtoolCheck,
  readCounterMap,
  requireRoot,
  runNfprom,
  sendTraffic,
  waitUntil,
} from "./harness.js";

test("dump prints one exposition equal to the kernel's counters; a missing chain exits 1 with nfprom_up 0", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("dump", { t });
  const port = ns.freePort();
  await ns.nft(accountingRuleset([`udp dport ${port} counter comment "nft(svc=dns)"`]));
  await sendTraffic(ns, { proto: "udp", host: "::1", port, bytes: 5000 });
  const r = await runNfprom(ns, ["dump"]);
  assert.equal(r.code, 0, r.stderr);
  const oracle = (await readCounterMap(ns, "inet", "firewall", "accounting"))?.get("nft(svc=dns)");
  const exp = parseExposition(r.stdout);
  assert.equal(exp.get("nfprom_bytes_total", { svc: "dns" }), oracle?.bytes);
  assert.equal(exp.get("nfprom_up"), 1n);
  assert.equal(exp.byName("process_open_fds").length, 0, "no web process metrics in dump");
  const lint = await promtoolCheck(r.stdout);
  assert.equal(lint.code, 0, lint.output);

  const missing = await runNfprom(ns, ["dump", "-table", "absent"]);
  assert.equal(missing.code, 1);
  assert.equal(parseExposition(missing.stdout).get("nfprom_up"), 0n);
  assert.match(missing.stderr, /absent/);
  const bad = await runNfprom(ns, ["dump", "--web.listen-address", ":1"]);
  assert.equal(bad.code, 2, "web flags are not dump flags");
});

test("textfile: atomic writes once or every --interval, mode 0644, stops on SIGTERM", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("textfile", { t });
  const port = ns.freePort();
  await ns.nft(accountingRuleset([`tcp dport ${port} counter comment "nft(svc=web)"`]));
  const dir = ns.tempDir();
  const output = join(dir, "nfprom.prom");

  const once = await runNfprom(ns, ["textfile", "-output", output]);
  assert.equal(once.code, 0, once.stderr);
  assert.equal(statSync(output).mode & 0o777, 0o644);
  const lint = await promtoolCheck(readFileSync(output, "utf8"));
  assert.equal(lint.code, 0, lint.output);
  assert.equal((await runNfprom(ns, ["textfile"])).code, 2, "-output is required");

  const loop = ns.spawn(process.execPath, [NFPROM_MAIN, "textfile", "-output", output, "-interval", "200ms"]);
  const bytesInFile = () => {
    try {
      return parseExposition(readFileSync(output, "utf8")).get("nfprom_bytes_total", { svc: "web" });
    } catch {
      return undefined;
    }
  };
  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port, bytes: 40_000 });
  const oracle = (await readCounterMap(ns, "inet", "firewall", "accounting"))?.get("nft(svc=web)");
  await waitUntil(() => bytesInFile() === oracle?.bytes, { timeoutMs: 5_000, what: "the file to catch up" });
  const exited = new Promise<number | null>((resolve) => loop.once("exit", (code) => resolve(code)));
  loop.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.deepEqual(readdirSync(dir), ["nfprom.prom"], "no temporary files left behind");
  assert.ok(existsSync(output));
});
