// Label hygiene on the real kernel (docs/security.md, rows 8 and 9): comment keys Prometheus gives meaning
// to (le, quantile), thousands of distinct label names, and a -rule-labels value over a huge anonymous set.
import assert from "node:assert/strict";
import { test } from "node:test";
import { logLines } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  promtoolCheck,
  requireRoot,
  runNfprom,
  startNfprom,
} from "./harness.js";

test("row 8: nft(le=...) and nft(quantile=...) are exported as exported_le/exported_quantile, promtool passes, check warns", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("le", { t });
  await ns.nft(
    accountingRuleset(
      [
        'tcp dport 5001 counter packets 1 bytes 10 comment "nft(svc=a;le=0.5)"',
        'tcp dport 5002 counter packets 2 bytes 20 comment "nft(svc=b;quantile=0.9)"',
      ],
      { hooks: false },
    ),
  );
  const h = await startNfprom(ns, []);
  const res = await h.scrape();
  const e = parseExposition(res.body);
  assert.equal(e.get("nfprom_bytes_total", { svc: "a", exported_le: "0.5", exported_quantile: "" }), 10n);
  assert.equal(e.get("nfprom_bytes_total", { svc: "b", exported_le: "", exported_quantile: "0.9" }), 20n);
  assert.doesNotMatch(res.body, /[{,]le=|[{,]quantile=/);
  const lint = await promtoolCheck(res.body);
  assert.equal(lint.code, 0, lint.output);
  assert.equal(logLines(h, "rule adjusted").length, 2);
  const check = await runNfprom(ns, ["check", "--format", "json"]);
  assert.equal(check.code, 1, check.stderr);
  const problems = (JSON.parse(check.stdout).findings as { severity: string; problem: string }[]).map(
    (f) => `${f.severity}: ${f.problem}`,
  );
  assert.deepEqual(problems, [
    'warning: "le" exported as exported_le: Prometheus reads le as a histogram bucket bound',
    'warning: "quantile" exported as exported_quantile: Prometheus reads quantile as a summary quantile',
    "warning: keys {quantile,svc} differ from the other rules' {le,svc}: missing ones export empty",
  ]);
});

test("row 9: 5,000 distinct label names and a 20,000-element anonymous set: bounded, reported, the rest exported", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("limits", { t });
  const addresses = Array.from(
    { length: 20_000 },
    (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
  const rules = [
    'tcp dport 5001 counter comment "nft(svc=a)"',
    `ip saddr { ${addresses.join(", ")} } counter comment "nft(svc=big)"`,
    ...Array.from({ length: 5_000 }, (_, i) => `tcp dport ${10_000 + i} counter comment "nft(k${i}=v)"`),
  ];
  await ns.nft(accountingRuleset(rules, { hooks: false }));
  const h = await startNfprom(ns, ["-rule-labels", "address"], { readyTimeoutMs: 30_000 });
  const res = await h.scrape("/metrics", undefined, { timeoutMs: 30_000 });
  assert.equal(res.status, 200);
  t.diagnostic(`exposition ${res.raw.length} bytes`);
  assert.ok(res.raw.length < 2_000_000, `exposition ${res.raw.length} bytes`);
  const e = parseExposition(res.body);
  // address and svc are the most used names; 62 of the k<i> keys (ties: by name) fill the 64.
  assert.equal(e.get("nfprom_rules_over_label_limits", { limit: "label_names" }), 4_938n);
  assert.equal(e.get("nfprom_rules_over_label_limits", { limit: "label_value_length" }), 1n);
  assert.equal(e.get("nfprom_rules", { state: "rejected" }), 4_938n);
  const big = e.byName("nfprom_bytes_total").find((s) => s.labels.svc === "big");
  assert.equal(big?.labels.address, "", "the 20,000-address value is exported empty");
  assert.ok(
    e.byName("nfprom_bytes_total").some((s) => s.labels.svc === "a"),
    "the other rules stay",
  );
  const lint = await promtoolCheck(res.body);
  assert.equal(lint.code, 0, lint.output);
  // Thousands of rejections: a few lines and a count, not a line each.
  assert.ok(logLines(h, "rule rejected").length <= 5);
  const check = await runNfprom(ns, ["check", "-rule-labels", "address", "--format", "json"], {
    timeoutMs: 60_000,
  });
  assert.equal(check.code, 1, check.stderr.slice(0, 2000));
  const findings = JSON.parse(check.stdout).findings as { severity: string; problem: string }[];
  assert.equal(findings.filter((f) => /-max-label-names/.test(f.problem)).length, 5_000 - 62);
  assert.equal(findings.filter((f) => /-max-label-value-length/.test(f.problem)).length, 1);
});

test("row 9, named counters: keys beyond -max-label-names leave those counters by identity, and check names the same ones", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("itemlim", { t });
  // 20 counters: all use svc, and each adds a key of its own. The limit 6 leaves room for svc and two
  // of the k<i> (family, table and name are the counters' own): k00 and k01, ties being broken by name.
  const counters = Array.from({ length: 20 }, (_, i) => {
    const k = `k${String(i).padStart(2, "0")}`;
    return `counter c${k} { comment "nft(svc=s${i};${k}=v)"; packets ${i} bytes ${i * 10}; }`;
  });
  await ns.nft(`${accountingRuleset([], { hooks: false })}\ntable inet objs {\n${counters.join("\n")}\n}\n`);
  const args = ["-counters", "inet/objs/*", "-max-label-names", "6"];
  const h = await startNfprom(ns, args);
  const e = parseExposition((await h.scrape()).body);
  assert.equal(e.get("nfprom_comments_rejected", { kind: "counter" }), 18n);
  const byIdentity = e.byName("nfprom_object_bytes_total").filter((s) => s.labels.svc === "");
  assert.equal(byIdentity.length, 18, "over the limit: exported by identity alone");
  assert.equal(
    e.get("nfprom_object_bytes_total", {
      family: "inet",
      table: "objs",
      name: "ck01",
      svc: "s1",
      k00: "",
      k01: "v",
    }),
    10n,
  );
  const check = await runNfprom(ns, ["check", ...args, "--format", "json"]);
  assert.equal(check.code, 1, check.stderr);
  const findings = JSON.parse(check.stdout).findings as { item: string; problem: string }[];
  assert.deepEqual(
    findings.map((f) => f.item),
    byIdentity.map((s) => `counter inet/objs/${s.labels.name}`),
    "check reports exactly the counters the exporter left by identity",
  );
  assert.match(findings[0]?.problem ?? "", /label name "k02" beyond -max-label-names \(6\)/);
});
