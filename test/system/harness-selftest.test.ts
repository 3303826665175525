// Tests of the system-test harness itself, on the real kernel. Independent of the exporter (src/).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  accountingRuleset,
  childEnv,
  childrenOf,
  isThisNode,
  listNamespaces,
  Netns,
  namespaceExists,
  parseExposition,
  parseLogfmt,
  parseNftJson,
  processAlive,
  procStatus,
  promtoolCheck,
  quoteBigIntegers,
  readChainOracle,
  readCounterMap,
  readNamedCounters,
  requireRoot,
  ScrapeError,
  sampleKey,
  scrape,
  sendTraffic,
  startNfprom,
  sweepStaleNamespaces,
  u64,
  waitUntil,
} from "./harness.js";

const U64_MAX = (1n << 64n) - 1n;

describe("harness: pure helpers", () => {
  test("quoteBigIntegers keeps big integers exact and leaves strings alone", () => {
    const raw =
      '{"a": 18446744073709551615, "b": -9223372036854775803, "c": 42, "d": "x 12345678901234567890 y", ' +
      '"e": "q\\" 1234567890123456789", "f": 1.5e+300, "g": [9007199254740993,-1]}';
    const doc = parseNftJson(raw) as Record<string, unknown>;
    assert.equal(doc.a, "18446744073709551615");
    assert.equal(doc.b, "-9223372036854775803");
    assert.equal(doc.c, 42);
    assert.equal(doc.d, "x 12345678901234567890 y");
    assert.equal(doc.e, 'q" 1234567890123456789');
    assert.equal(doc.f, 1.5e300);
    assert.deepEqual(doc.g, ["9007199254740993", -1]);
    assert.equal(u64(doc.b), 9223372036854775813n);
    assert.equal(u64(-1), U64_MAX);
    assert.equal(u64("9007199254740993"), 9007199254740993n);
    assert.throws(() => u64(2 ** 60), TypeError);
    assert.equal(quoteBigIntegers("[1,2,3]"), "[1,2,3]");
  });

  test("parseExposition: exact integers, escapes, help/type, duplicates, errors", () => {
    const text = [
      "# HELP nfprom_bytes_total Bytes counted by the rule.\\nSecond line \\\\ ok",
      "# TYPE nfprom_bytes_total counter",
      'nfprom_bytes_total{svc="a\\"b",dir="in\\\\out\\nx"} 18446744073709551615',
      'nfprom_bytes_total{dir="z", svc="c",} 1.6223817e+07',
      "nfprom_up 1",
      "nfprom_scrape_duration_seconds 0.0042 1700000000000",
      "weird NaN",
      'nfprom_rules{state="exported"} +Inf',
      "nfprom_up 0",
      "",
    ].join("\n");
    const e = parseExposition(text);
    assert.equal(e.get("nfprom_bytes_total", { svc: 'a"b', dir: "in\\out\nx" }), U64_MAX);
    assert.equal(e.samples.get('nfprom_bytes_total{dir="in\\\\out\\nx",svc="a\\"b"}'), U64_MAX);
    assert.equal(e.get("nfprom_bytes_total", { svc: "c", dir: "z" }), 16223817);
    assert.equal(typeof e.get("nfprom_bytes_total", { svc: "c", dir: "z" }), "number");
    assert.equal(e.get("nfprom_scrape_duration_seconds"), 0.0042);
    assert.equal(e.list.find((s) => s.name === "nfprom_scrape_duration_seconds")?.timestamp, "1700000000000");
    assert.ok(Number.isNaN(e.get("weird")));
    assert.equal(e.get("nfprom_rules", { state: "exported" }), Number.POSITIVE_INFINITY);
    assert.equal(e.help.get("nfprom_bytes_total"), "Bytes counted by the rule.\nSecond line \\ ok");
    assert.equal(e.type.get("nfprom_bytes_total"), "counter");
    assert.deepEqual(e.duplicates, ["nfprom_up"]);
    assert.equal(e.byName("nfprom_bytes_total").length, 2);
    assert.equal(sampleKey("m", { b: "2", a: "1" }), 'm{a="1",b="2"}');

    assert.throws(() => parseExposition('m{a="x\\q"} 1\n'), /bad escape/);
    assert.throws(() => parseExposition('m{a="x} 1\n'), /unterminated/);
    assert.throws(() => parseExposition('m{1a="x"} 1\n'), /bad label name/);
    assert.throws(() => parseExposition("m 1e\n"), /bad sample value/);
    assert.throws(() => parseExposition('m{a="1",a="2"} 1\n'), /duplicate label/);
    assert.throws(() => parseExposition("m\n"), /expected space/);
    assert.equal(parseExposition("# EOF\n").eof, true);
  });

  test("parseLogfmt", () => {
    assert.deepEqual(parseLogfmt('level=warn msg="rule rejected: \\"x\\"" handle=7 reason="a b" bare'), {
      level: "warn",
      msg: 'rule rejected: "x"',
      handle: "7",
      reason: "a b",
      bare: "",
    });
  });

  test("promtoolCheck: clean, lint problem, parse error", async () => {
    const clean = await promtoolCheck("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n");
    assert.equal(clean.code, 0, clean.output);
    const lint = await promtoolCheck("# HELP a A.\n# TYPE a counter\na 1\n");
    assert.equal(lint.code, 3, lint.output);
    assert.match(lint.output, /_total/);
    const broken = await promtoolCheck("a{ 1\n");
    assert.equal(broken.code, 1, broken.output);
  });
});

describe("harness: kernel", () => {
  test("netns create/exec/destroy", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("self", { t });
    assert.match(ns.name, new RegExp(`^nfprom-self-${process.pid}-\\d+$`));
    assert.ok(namespaceExists(ns.name));
    assert.ok(listNamespaces().includes(ns.name));
    const link = await ns.exec("ip", ["-j", "link", "show", "lo"]);
    assert.equal(link.code, 0, link.stderr);
    const [lo] = JSON.parse(link.stdout) as { operstate: string; flags: string[] }[];
    assert.ok(lo?.flags.includes("UP"), link.stdout);
    // Namespace is really separate: only lo inside.
    const all = JSON.parse((await ns.exec("ip", ["-j", "link"])).stdout) as unknown[];
    assert.equal(all.length, 1);
    const r = await ns.exec("sh", ["-c", "cat; echo err >&2; exit 3"], { input: "hello" });
    assert.deepEqual([r.stdout, r.stderr, r.code], ["hello", "err\n", 3]);

    const { leftovers } = await ns.destroy();
    assert.deepEqual(leftovers, []);
    assert.ok(!namespaceExists(ns.name));
    assert.ok(!listNamespaces().includes(ns.name));
    assert.throws(() => ns.exec("true"), /destroyed/);
    await ns.destroy(); // idempotent
  });

  test("namespaces are deleted when the test process exits, throws, is interrupted or SIGKILLed", async (t) => {
    if (!requireRoot(t)) return;
    const harness = new URL("./harness.js", import.meta.url).href;
    const dir = mkdtempSync(join(tmpdir(), "nfprom-selftest-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, "crash.mjs");
    writeFileSync(
      script,
      `
const { Netns } = await import(${JSON.stringify(harness)});
const ns = await Netns.create("crash", { afterHook: false });
const child = ns.spawn("sleep", ["300"]);
process.stdout.write("NS=" + ns.name + " PID=" + child.pid + "\\n");
const how = process.argv[2];
if (how === "exit") process.exit(7);
if (how === "throw") throw new Error("boom");
setInterval(() => {}, 1000);
`,
    );
    for (const how of ["exit", "throw", "SIGINT", "SIGTERM", "SIGKILL"] as const) {
      const child = spawn(process.execPath, [script, how], {
        stdio: ["ignore", "pipe", "pipe"],
        env: childEnv(),
      });
      t.after(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c;
      });
      child.stderr.on("data", (c: Buffer) => {
        err += c;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await waitUntil(() => /NS=\S+ PID=\d+\n/.test(out) || child.exitCode !== null, {
        what: `${how}: netns name`,
      });
      const m = /NS=(\S+) PID=(\d+)\n/.exec(out);
      assert.ok(m, `${how}: ${out} ${err}`);
      const name = m[1] as string;
      const sleepPid = Number(m[2]);
      assert.match(name, /^nfprom-crash-\d+-1$/);
      if (how.startsWith("SIG")) {
        assert.ok(processAlive(sleepPid));
        child.kill(how as NodeJS.Signals);
      }
      const code = await exited;
      if (how === "exit") assert.equal(code, 7);
      if (how === "SIGKILL") {
        assert.ok(namespaceExists(name), "SIGKILL leaves the namespace behind");
        assert.ok(processAlive(sleepPid), "SIGKILL leaves the process inside behind");
        assert.ok(sweepStaleNamespaces().includes(name));
      }
      assert.ok(!namespaceExists(name), `${how}: ${name} still exists; stderr: ${err}`);
      await waitUntil(() => !processAlive(sleepPid), { what: `${how}: sleep ${sleepPid} to die` });
    }
  });

  test("spawn: pid is the program's, destroy kills it", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("spawn", { t });
    const child = ns.spawn("sleep", ["300"]);
    const pid = child.pid;
    assert.ok(pid !== undefined);
    await waitUntil(() => processAlive(pid) && procStatus(pid).Name === "sleep", { what: "sleep to exec" });
    assert.deepEqual(childrenOf(process.pid).includes(pid), true);
    assert.deepEqual(ns.pids(), [pid]);
    const st = procStatus(pid);
    assert.deepEqual(st.Uid, [0, 0, 0, 0]);
    assert.equal(st.PPid, process.pid);
    assert.equal(typeof st.CapEff, "bigint");
    await ns.destroy();
    assert.ok(!processAlive(pid));
    assert.ok(!namespaceExists(ns.name));
  });

  test("nft apply + oracle: u64 counters above 2^63 read back exactly", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("oracle", { t });
    await ns.nft(`
table inet firewall {
  counter named1 { packets 5 bytes 18446744073709551615 comment "nft(obj=1)" }
  chain accounting {
    counter packets 18446744073709551615 bytes 9223372036854775813 comment "nft(a=max;b=2^63+5)"
    counter packets 9007199254740993 bytes 9223372036854775807 comment "nft(a=2^53+1)"
    tcp dport 1 counter comment "nft(a=1234567890123456789012)"
    counter name "named1"
    accept
  }
}
`);
    const rules = await readChainOracle(ns, "inet", "firewall", "accounting");
    assert.ok(rules);
    assert.equal(rules.length, 5);
    assert.deepEqual(
      rules.map((r) => [r.comment, r.packets, r.bytes]),
      [
        ["nft(a=max;b=2^63+5)", U64_MAX, 9223372036854775813n],
        ["nft(a=2^53+1)", 9007199254740993n, 9223372036854775807n],
        ["nft(a=1234567890123456789012)", 0n, 0n],
        [undefined, undefined, undefined],
        [undefined, undefined, undefined],
      ],
    );
    for (const r of rules) assert.equal(typeof r.handle, "bigint");
    assert.ok(rules[0] && rules[1] && rules[0].handle < rules[1].handle);

    const map = await readCounterMap(ns, "inet", "firewall", "accounting");
    assert.equal(map?.get("nft(a=2^53+1)")?.packets, 9007199254740993n);

    const named = await readNamedCounters(ns, "inet", "firewall");
    assert.deepEqual(
      named?.map((c) => [c.name, c.comment, c.packets, c.bytes]),
      [["named1", "nft(obj=1)", 5n, U64_MAX]],
    );

    assert.equal(await readChainOracle(ns, "inet", "firewall", "nosuch"), null);
    assert.equal(await readChainOracle(ns, "ip", "firewall", "accounting"), null);
    assert.equal(await readChainOracle(ns, "inet", "nosuch", "accounting"), null);
    assert.equal(await readNamedCounters(ns, "ip6", "firewall"), null);
    await assert.rejects(ns.nft("table inet x { chain c { bogus } }\n"), /nft -f - failed/);
  });

  test("traffic increments counters (tcp/127.0.0.1, udp/::1)", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("traffic", { t });
    await ns.nft(
      accountingRuleset([
        'tcp dport 5001 counter comment "nft(svc=tcp5001)"',
        'meta nfproto ipv6 udp dport 5002 counter comment "nft(svc=udp5002v6)"',
        'udp dport 5003 counter comment "nft(svc=untouched)"',
      ]),
    );
    const before = await readCounterMap(ns, "inet", "firewall", "accounting");
    assert.equal(before?.get("nft(svc=tcp5001)")?.bytes, 0n);

    const tcp = await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: 5001, bytes: 200_000 });
    assert.equal(tcp.received, 200_000);
    assert.equal(tcp.connections, 1);
    const udp = await sendTraffic(ns, {
      proto: "udp",
      host: "::1",
      port: 5002,
      bytes: 12_000,
      datagram: 1000,
    });
    assert.equal(udp.received, 12_000);
    assert.equal(udp.datagrams, 12);

    const after = await readCounterMap(ns, "inet", "firewall", "accounting");
    const tcpRule = after?.get("nft(svc=tcp5001)");
    assert.ok(tcpRule?.bytes !== undefined && tcpRule.packets !== undefined);
    assert.ok(tcpRule.bytes >= 200_000n, `tcp bytes ${tcpRule.bytes}`);
    assert.ok(tcpRule.packets >= 3n, `tcp packets ${tcpRule.packets}`);
    const udpRule = after?.get("nft(svc=udp5002v6)");
    // 12 datagrams of payload + UDP (8) + IPv6 (40) header. On loopback every packet passes both the output and
    // the input hook, and both jump to the accounting chain: each is counted twice.
    assert.equal(udpRule?.packets, 2n * 12n);
    assert.equal(udpRule?.bytes, 2n * (12_000n + 12n * 48n));
    assert.equal(after?.get("nft(svc=untouched)")?.packets, 0n);
  });

  test("scrape and startNfprom machinery against a stand-in exporter", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("fake", { t });
    const dir = ns.tempDir();
    const fake = join(dir, "fake-exporter.mjs");
    // Speaks the exporter's CLI/log contract just enough: -listen HOST:PORT, logfmt on stderr, /metrics.
    writeFileSync(
      fake,
      `
import http from "node:http";
import zlib from "node:zlib";
const i = process.argv.indexOf("-listen");
const listen = process.argv[i + 1];
const idx = listen.lastIndexOf(":");
const body = '# HELP nfprom_up Up.\\n# TYPE nfprom_up gauge\\nnfprom_up 1\\nnfprom_bytes_total{svc="a"} 18446744073709551615\\n';
const srv = http.createServer((req, res) => {
  const headers = { "content-type": "text/plain; version=0.0.4; charset=utf-8", "x-echo": req.headers["x-test"] ?? "" };
  if (req.url !== "/metrics") { res.writeHead(404, headers); res.end("not found\\n"); return; }
  if ((req.headers["accept-encoding"] ?? "").includes("gzip")) {
    res.writeHead(200, { ...headers, "content-encoding": "gzip" }); res.end(zlib.gzipSync(body)); return;
  }
  res.writeHead(200, headers); res.end(body);
});
setTimeout(() => srv.listen(Number(listen.slice(idx + 1)), listen.slice(0, idx), () =>
  process.stderr.write('level=info msg="listening" address=' + listen + ' pid=' + process.pid + '\\n')), 300);
process.on("SIGTERM", () => { process.stderr.write('level=info msg="shutting down"\\n'); srv.close(); process.exit(0); });
`,
    );
    const h = await startNfprom(ns, ["-table", "firewall"], { command: [process.execPath, fake] });
    assert.ok(isThisNode(h.pid));
    assert.match(h.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await h.waitForLog((r) => r.msg === "listening");
    assert.equal(h.records()[0]?.pid, String(h.pid));

    const res = await h.scrape("/metrics", { "X-Test": "hi" });
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-echo"], "hi");
    assert.equal(parseExposition(res.body).get("nfprom_bytes_total", { svc: "a" }), U64_MAX);
    const gz = await scrape(ns, h.metricsUrl, [["Accept-Encoding", "gzip"]]);
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.equal(gunzipSync(gz.raw).toString(), res.body);
    assert.equal((await h.scrape("/nope")).status, 404);

    assert.equal(await h.stop(), 0);
    await h.waitForLog(/shutting down/);
    await assert.rejects(
      scrape(ns, h.metricsUrl),
      (e: unknown) => e instanceof ScrapeError && e.exitCode === 3,
    );

    // An exporter that dies before answering: startNfprom rejects with its logs.
    const dead = join(dir, "dead.mjs");
    writeFileSync(
      dead,
      `process.stderr.write('level=error msg="needs root or CAP_NET_ADMIN"\\n'); process.exit(1);\n`,
    );
    await assert.rejects(
      startNfprom(ns, [], { command: [process.execPath, dead] }),
      /exit 1[\s\S]*CAP_NET_ADMIN/,
    );
  });
});
