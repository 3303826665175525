// The shipped ops/ files against the real thing: nfprom in a namespace with a chain, a named counter,
// two quotas and a dynamic set that traffic fills, scraped every second by a real Prometheus that loads
// ops/rules/ as they are. Every recording rule and every Grafana panel query must return series with the
// labels its legend names, every metric they name must be one nfprom exports, and a quota filled past
// 90 % must make NfpromQuotaNearlyUsed pending (the other quota must not).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import {
  concreteQuery,
  dashboard,
  legendLabels,
  metricNames,
  OPS_DIR,
  panelTargets,
  RULE_FILES,
  rules,
} from "../unit/helpers/ops.js";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  requireRoot,
  sendTraffic,
  startNfprom,
  waitUntil,
} from "./harness.js";
import { PROMETHEUS, startPrometheus, type VectorResult } from "./prometheus.js";

const GUEST_LIMIT = 100_000;

function opsRuleset(port: number, rejectedPort: number): string {
  const declarations = [
    'counter named_in { comment "nft(service=named)" }',
    `quota guest { until ${GUEST_LIMIT} bytes comment "nft(plan=guest)" }`,
    "quota staff { until 1000000000 bytes }",
    "set clients { type ipv4_addr; size 4; flags dynamic; counter; }",
    'set nets { type ipv4_addr; flags interval; counter; elements = { 10.0.0.0/8 comment "nft(1bad=x)" } }',
  ];
  const chain = [
    `tcp dport ${port} counter comment "nft(svc=web)"`,
    `tcp dport ${port} counter name "named_in"`,
    `tcp dport ${port} quota name "guest"`,
    `tcp dport ${port} quota name "staff"`,
    `tcp dport ${port} update @clients { ip saddr }`,
    `tcp dport ${rejectedPort} counter comment "nft(1bad=x)"`,
  ];
  return accountingRuleset(chain, { declarations });
}

function prometheusConfig(target: string): string {
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
${RULE_FILES.map((f) => `  - ${OPS_DIR}${f}`).join("\n")}
scrape_configs:
  - job_name: nfprom
    static_configs:
      - targets: ["${target}"]
`;
}

test("ops/: every recording rule and dashboard query returns nfprom's series in a real Prometheus; a quota past 90 % makes its alert pending", async (t) => {
  if (!requireRoot(t)) return;
  assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing (Debian package prometheus)`);
  const ns = await Netns.create("ops", { t });
  const port = ns.freePort();
  await ns.nft(opsRuleset(port, ns.freePort()));
  const all = "inet/firewall/*";
  const nf = await startNfprom(ns, [
    ...["-counters", all, "-quotas", all, "-sets", all, "-tables", "inet/firewall"],
    ...["-read.background-timeout", "5s"],
  ]);
  const prom = await startPrometheus(ns, prometheusConfig(`127.0.0.1:${nf.port}`), [
    "--enable-feature=extra-scrape-metrics",
  ]);
  // Traffic before the first scrapes and between them, so that every rate has two points that differ.
  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port, bytes: 2 * GUEST_LIMIT });
  const pending = 'ALERTS{alertname="NfpromQuotaNearlyUsed",alertstate="pending"}';
  await waitUntil(async () => (await prom.query(pending).catch(() => [])).length > 0, {
    timeoutMs: 30_000,
    what: `${pending}\n${prom.log().slice(-3000)}`,
  });
  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port, bytes: 50_000 });
  await waitUntil(
    async () => Number((await prom.query("instance:nfprom_bytes:rate5m"))[0]?.value[1] ?? 0) > 0,
    { timeoutMs: 20_000, what: "a rate of the rule's bytes" },
  );

  // What nfprom exports: every family it declares (a family may have no sample, e.g. no read error yet).
  const exposition = parseExposition((await nf.scrape()).body);
  const declared = new Set(exposition.type.keys());
  const withSamples = new Set(exposition.list.map((s) => s.name));
  // The label names of each series of `metric` as Prometheus stores it (an empty label is no label).
  const labelNames = (metric: string) =>
    exposition.byName(metric).map((s) =>
      Object.keys(s.labels)
        .filter((k) => s.labels[k] !== "")
        .sort()
        .join(","),
    );

  // A rule or panel naming a metric nfprom does not export fails here.
  const unknown: string[] = [];
  const exprs = [
    ...rules().map((r) => ({ where: r.record ?? r.alert, expr: r.expr })),
    ...panelTargets(dashboard()).map(({ panel, target }) => ({
      where: `${panel.title} ${target.refId}`,
      expr: target.expr,
    })),
  ];
  for (const { where, expr } of exprs)
    for (const name of metricNames(expr)) if (!declared.has(name)) unknown.push(`${where}: ${name}`);
  assert.deepEqual(unknown, [], "metrics named by ops/ that nfprom does not export");

  /** mayBeEmpty: an expression over metrics with no sample yet in this run. */
  const mayBeEmpty = (expr: string) => metricNames(expr).some((n) => !withSamples.has(n));

  // Recording rules, as Prometheus' rule manager recorded them, with the labels of their input series.
  const records = rules().filter((r) => r.record);
  const recorded = await prom.queryAll(records.map((r) => r.record as string));
  records.forEach((rule, i) => {
    const record = rule.record as string;
    const result = recorded[i] as VectorResult[];
    if (mayBeEmpty(rule.expr)) return;
    assert.ok(result.length > 0, `${record} has no series`);
    const input = metricNames(rule.expr)[0] as string;
    for (const { metric } of result) {
      const { __name__, job, instance, ...own } = metric;
      assert.equal(job, "nfprom", record);
      assert.equal(instance !== undefined, record.startsWith("instance:"), `${record}: instance label`);
      assert.ok(
        labelNames(input).includes(Object.keys(own).sort().join(",")),
        `${record}: labels ${JSON.stringify(own)} are those of ${input}`,
      );
    }
  });

  // Every dashboard query, its variables set to "All": data, and the labels its legend shows.
  const targets = panelTargets(dashboard());
  const answers = await prom.queryAll(targets.map(({ target }) => concreteQuery(target.expr)));
  const empty: string[] = [];
  targets.forEach(({ panel, target }, i) => {
    const result = answers[i] as VectorResult[];
    if (result.length === 0 && !mayBeEmpty(target.expr))
      empty.push(`${panel.title} ${target.refId}: ${concreteQuery(target.expr)}`);
    for (const label of legendLabels(target))
      for (const { metric } of result)
        assert.ok(metric[label], `${panel.title} ${target.refId}: no ${label} in ${JSON.stringify(metric)}`);
  });
  assert.deepEqual(empty, [], "dashboard queries without data");

  // The quota past 90 % is pending, the other not; the rejected rule and comment are seen too.
  const active = await prom.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
    "/api/v1/alerts",
  );
  const names = active.alerts.map((a) => `${a.labels.alertname}${a.labels.name ? `/${a.labels.name}` : ""}`);
  assert.ok(names.includes("NfpromQuotaNearlyUsed/guest"), names.join(", "));
  assert.ok(!names.includes("NfpromQuotaNearlyUsed/staff"), names.join(", "));
  assert.ok(
    names.includes("NfpromRulesRejected") && names.includes("NfpromCommentsRejected"),
    names.join(", "),
  );
  for (const quiet of ["NfpromDown", "NfpromCannotRead", "NfpromSourceFailing", "NfpromSetNearlyFull"])
    assert.ok(!names.includes(quiet), `${quiet} is active: ${names.join(", ")}`);

  // The metrics added for these files: the declared set size, and the web process's start time.
  assert.equal(
    exposition.get("nfprom_set_elements_max", { family: "inet", table: "firewall", set: "clients" }),
    4n,
  );
  assert.equal(
    exposition.get("nfprom_set_elements_max", { family: "inet", table: "firewall", set: "nets" }),
    undefined,
  );
  assert.equal(exposition.get("nfprom_web_start_time_seconds"), exposition.get("process_start_time_seconds"));
  assert.doesNotMatch(prom.log(), /level=(warn|error)/i);
  await nf.stop();
});
