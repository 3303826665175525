import assert from "node:assert/strict";
import { test } from "node:test";
import { ColumnElider, ColumnRestorer } from "../../../src/ipc/elision.js";
import { fromWire, type ReadReply, toWire, type WireReadReply } from "../../../src/ipc/protocol.js";
import type { NetnsRead } from "../../../src/model/snapshot.js";
import { Scraper } from "../../../src/render/scrape.js";
import { CaptureLogger } from "../helpers/logger.js";
import { checkMetrics, promtoolMissing } from "../helpers/promtool.js";
import { NO_STATS, ruleSnapshot } from "../helpers/snapshot.js";

const reply = (namespaces: NetnsRead[]): ReadReply => ({
  type: "namespaces",
  id: 1,
  namespaces,
  stats: NO_STATS,
});
const withGeneration = (count: number, comment: (i: number) => string, generation: number) => ({
  ...ruleSnapshot(count, comment, (i) => BigInt(i + 1)),
  generation,
  generationSinceMs: 1_700_000_000_000 + generation,
});

function render(scraper: Scraper, namespaces: NetnsRead[]): string[] {
  return String(scraper.render(reply(namespaces), process.hrtime.bigint())).split("\n");
}

test("-netns: every namespace's series carry its label, each family once, nfprom's own families unlabelled", () => {
  const scraper = new Scraper("nfprom", new CaptureLogger());
  const lines = render(scraper, [
    { netns: "blue", snapshot: withGeneration(2, (i) => `nft(svc=s${i})`, 7) },
    { netns: "green", snapshot: withGeneration(1, () => "nft(svc=web)", 3) },
    { netns: "/proc/1/ns/net", error: { code: "NFPROM_SOCKET", message: "netns: setns: EINVAL" } },
  ]);
  const types = lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
  assert.deepEqual(types, [...new Set(types)], "one family per name");
  for (const line of [
    'nfprom_bytes_total{netns="blue",svc="s0"} 1',
    'nfprom_bytes_total{netns="blue",svc="s1"} 2',
    'nfprom_bytes_total{netns="green",svc="web"} 1',
    'nfprom_packets_total{netns="blue",svc="s1"} 2',
    'nfprom_up{netns="blue"} 1',
    'nfprom_up{netns="green"} 1',
    'nfprom_up{netns="/proc/1/ns/net"} 0',
    'nfprom_ruleset_generation{netns="blue"} 7',
    'nfprom_ruleset_generation{netns="green"} 3',
    'nfprom_ruleset_last_change_timestamp_seconds{netns="blue"} 1700000000.007',
    "nfprom_netns_selected 3",
  ])
    assert.ok(lines.includes(line), line);
  assert.ok(!lines.some((l) => /^nfprom_up[ {]/.test(l) && !l.includes("netns=")), "no unlabelled up");
  for (const own of ["nfprom_build_info", "nfprom_read_errors_total", "nfprom_scrape_duration_seconds"]) {
    const samples = lines.filter((l) => l.startsWith(own));
    assert.ok(samples.length > 0 && samples.every((l) => !l.includes("netns=")), own);
  }
  assert.ok(!lines.some((l) => l.startsWith('nfprom_ruleset_generation{netns="/proc')), "failed: none");
});

test("-netns: a comment key netns is exported as exported_netns; a namespace gone takes its series", () => {
  const scraper = new Scraper("nfprom", new CaptureLogger());
  const clash = ruleSnapshot(1, () => "nft(netns=inner;svc=x)");
  let lines = render(scraper, [
    { netns: "a", snapshot: clash },
    { netns: "b", snapshot: clash },
  ]);
  assert.ok(
    lines.includes('nfprom_bytes_total{netns="a",exported_netns="inner",svc="x"} 1'),
    lines.join("\n"),
  );
  lines = render(scraper, [{ netns: "b", snapshot: clash }]);
  assert.ok(!lines.some((l) => l.includes('netns="a"')));
  assert.ok(lines.includes("nfprom_netns_selected 1"));
  lines = render(scraper, []);
  assert.ok(lines.includes("nfprom_netns_selected 0"));
  assert.ok(!lines.some((l) => l.startsWith("nfprom_bytes_total")));
});

test("-netns: the exposition passes promtool, large namespaces as columns", { skip: promtoolMissing }, () => {
  const scraper = new Scraper("nfprom", new CaptureLogger());
  const namespaces = ["a", "b", "c"].map((netns, n) => ({
    netns,
    snapshot: withGeneration(500, (i) => `nft(svc=s${i})`, n),
  }));
  const text = String(scraper.render(reply(namespaces), process.hrtime.bigint()));
  const { status, output } = checkMetrics(text);
  assert.equal(status, 0, output);
  assert.equal(text.match(/^nfprom_bytes_total\{/gm)?.length, 1500);
});

test("-netns: columns elided per namespace travel back whole, also when a namespace fails or is new", () => {
  const elider = new ColumnElider();
  const restorer = new ColumnRestorer();
  const big = (tag: string) => ruleSnapshot(300, (i) => `nft(svc=${tag}${i})`);
  const send = (r: ReadReply) => {
    const wire = structuredClone(elider.elide(toWire(r))) as WireReadReply;
    restorer.restore(wire);
    return fromWire(wire);
  };
  const first = reply([
    { netns: "a", snapshot: big("a") },
    { netns: "b", snapshot: big("b") },
  ]);
  assert.deepEqual(send(first), first);
  // Unchanged: both namespaces' comments are left out on the wire and put back.
  const wire = elider.elide(toWire(first));
  assert.ok(wire.type === "namespaces" && wire.namespaces.every((r) => "snapshot" in r && r.snapshot.elided));
  restorer.restore(structuredClone(wire));
  const changed = reply([
    { netns: "b", snapshot: big("b") },
    { netns: "a", error: { code: "NFPROM_TIMEOUT", message: "late" } },
    { netns: "c", snapshot: big("a") },
  ]);
  assert.deepEqual(send(changed), changed);
  const back = reply([{ netns: "a", snapshot: big("a") }]);
  assert.deepEqual(send(back), back);
});

test("-netns: comments a tenant writes cannot make a label twice (and the exposition invalid for all)", {
  skip: promtoolMissing,
}, () => {
  const scraper = new Scraper("nfprom", new CaptureLogger());
  // Prometheus's rule for a clashing label: exported_ until the name is free; a value that reads like a
  // pair (`,netns="` ends the value of a) is a value, and stays as it is.
  const comments = ["nft(netns=x;exported_netns=y)", "nft(a=x,netns=;netns=t)", "nft(a=v,netns=)"];
  const text = String(
    scraper.render(
      reply([{ netns: "tenant", snapshot: ruleSnapshot(3, (i) => comments[i] as string) }]),
      process.hrtime.bigint(),
    ),
  );
  const { status, output } = checkMetrics(text);
  assert.equal(status, 0, output);
  const lines = text.split("\n");
  for (const line of [
    'nfprom_bytes_total{netns="tenant",a="",exported_netns="y",exported_exported_netns="x"} 1',
    'nfprom_bytes_total{netns="tenant",a="x,netns=",exported_netns="",exported_exported_netns="t"} 1',
    'nfprom_bytes_total{netns="tenant",a="v,netns=",exported_netns="",exported_exported_netns=""} 1',
  ])
    assert.ok(
      lines.includes(line),
      `${line}\n${lines.filter((l) => l.startsWith("nfprom_bytes")).join("\n")}`,
    );
});
