// The shipped operations files (ops/): Prometheus configs, rules and their unit tests through promtool,
// and the Grafana dashboard's structure (Grafana itself is not available here; every query runs against
// a real Prometheus in test/system/ops.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import {
  ALERT_TESTS,
  allPanels,
  BUILTIN_VARIABLES,
  dashboard,
  OPS_DIR,
  opsFile,
  panelTargets,
  RULE_FILES,
  rules,
  variablesOf,
} from "../helpers/ops.js";
import { PROMTOOL, promtoolMissing } from "../helpers/promtool.js";

// Under CI promtool must be there: a missing one fails instead of skipping.
const skip = process.env.CI === "true" ? false : promtoolMissing;

function promtool(args: string[], cwd = OPS_DIR): string {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: "utf8" });
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, `promtool ${args.join(" ")}:\n${output}`);
  return output;
}

test("promtool check config accepts every shipped scrape config", { skip }, () => {
  promtool(["check", "config", "prometheus/prometheus.yml"]);
  promtool(["check", "config", "prometheus/prometheus-file-sd.yml"]);
  // The TLS config names certificate, key and password files beside it, which promtool opens.
  const dir = mkdtempSync(join(tmpdir(), "nfprom-ops-"));
  try {
    cpSync(OPS_DIR, dir, { recursive: true });
    mkdirSync(join(dir, "prometheus/nfprom"));
    for (const f of ["ca.crt", "client.crt", "client.key", "password"])
      writeFileSync(join(dir, "prometheus/nfprom", f), "placeholder\n");
    promtool(["check", "config", "prometheus/prometheus-tls.yml"], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("promtool check rules accepts the recording and alerting rules", { skip }, () => {
  const out = promtool(["check", "rules", ...RULE_FILES.map((f) => `rules/${f.split("/")[1]}`)]);
  assert.match(out, /SUCCESS: \d+ rules found[\s\S]*SUCCESS: \d+ rules found/);
});

test("promtool test rules: every alert fires in its unit test, and stays quiet for the other series", {
  skip,
}, () => {
  promtool(["test", "rules", ALERT_TESTS]);
});

test("every alert has a firing and a quiet case, severity, summary, description and a runbook section", () => {
  interface AlertTest {
    input_series: { series: string }[];
    alert_rule_test: { alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[];
  }
  const cases = (parse(opsFile(ALERT_TESTS)) as { tests: AlertTest[] }).tests;
  const readme = opsFile("README.md");
  const alerts = rules().filter((r) => r.alert);
  assert.ok(alerts.length >= 13);
  for (const rule of alerts) {
    const name = rule.alert as string;
    const mine = cases.filter((c) => c.alert_rule_test.some((a) => a.alertname === name));
    const firing = mine.flatMap((c) =>
      c.alert_rule_test.filter((a) => a.alertname === name && a.exp_alerts.length > 0),
    );
    assert.ok(firing.length > 0, `${name} never fires in ${ALERT_TESTS}`);
    // Quiet: an eval with no alert, or an input series that no expected alert agrees with on the labels
    // they share (another instance, set, quota or kind).
    const quiet = mine.some((c) => {
      const evals = c.alert_rule_test.filter((a) => a.alertname === name);
      const expected = evals.flatMap((a) => a.exp_alerts.map((e) => e.exp_labels));
      const agrees = (labels: Record<string, string>, e: Record<string, string>) =>
        Object.entries(labels).every(([k, v]) => !(k in e) || e[k] === v);
      return (
        evals.some((a) => a.exp_alerts.length === 0) ||
        c.input_series.some((s) => !expected.some((e) => agrees(seriesLabels(s.series), e)))
      );
    });
    assert.ok(quiet, `${name} has no case where it must stay quiet`);
    assert.match(rule.labels?.severity ?? "", /^(critical|warning|info)$/, name);
    assert.ok(rule.annotations?.summary && rule.annotations.description, `${name}: summary, description`);
    const anchor = name.toLowerCase();
    assert.equal(rule.annotations?.runbook, `ops/README.md#${anchor}`);
    assert.ok(readme.includes(`### ${name}\n`), `ops/README.md has no runbook section "### ${name}"`);
  }
});

/** seriesLabels: the labels of a promtool input series such as `up{job="nfprom",instance="a"}`. */
function seriesLabels(series: string): Record<string, string> {
  return Object.fromEntries([...series.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

test("recording rules are named level:metric:operations", () => {
  const records = rules().filter((r) => r.record);
  assert.ok(records.length >= 10);
  for (const r of records)
    assert.match(r.record as string, /^(instance|job):nfprom_[a-z_]+:(rate(5m|1h)|ratio)$/);
});

test("the Grafana dashboard: current schema, a datasource variable, label variables, every panel queried through it", () => {
  const d = dashboard();
  assert.ok(d.schemaVersion >= 39, `schemaVersion ${d.schemaVersion}`);
  assert.equal(d.uid, "nfprom");
  const vars = new Map(d.templating.list.map((v) => [v.name, v]));
  assert.deepEqual(
    { type: vars.get("datasource")?.type, query: vars.get("datasource")?.query },
    { type: "datasource", query: "prometheus" },
  );
  for (const name of ["job", "instance", "set"]) assert.equal(vars.get(name)?.type, "query", name);
  assert.equal(vars.get("filters")?.type, "adhoc");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
  const viaVariable = { type: "prometheus", uid: "${datasource}" };

  const panels = allPanels(d);
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  for (const p of panels) {
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24 && p.gridPos.h > 0, `${p.title}: gridPos`);
    if (p.type === "row") continue;
    assert.ok(p.title && p.description, `panel ${p.id} has a title and a description`);
    assert.deepEqual(p.datasource, viaVariable, `${p.title}: datasource`);
    assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
    const refIds = (p.targets ?? []).map((t) => t.refId);
    assert.equal(new Set(refIds).size, refIds.length, `${p.title}: refIds are unique`);
  }
  const targets = panelTargets(d);
  assert.ok(targets.length >= 25);
  for (const { panel, target } of targets) {
    assert.deepEqual(target.datasource, viaVariable, `${panel.title} ${target.refId}: datasource`);
    for (const v of variablesOf(target.expr))
      assert.ok(vars.has(v) || v in BUILTIN_VARIABLES, `${panel.title}: $${v} is not a variable`);
  }
  // The panels: traffic per label set, top talkers, quotas, named counters, the exporter's health.
  const exprs = targets.map((t) => t.target.expr).join("\n");
  for (const metric of [
    "nfprom_bytes_total",
    "nfprom_set_element_bytes_total",
    "nfprom_quota_used_bytes",
    "nfprom_quota_limit_bytes",
    "nfprom_object_bytes_total",
    "nfprom_scrape_duration_seconds",
    "nfprom_source_duration_seconds",
    "nfprom_snapshot_age_seconds",
    "nfprom_rules",
    "process_resident_memory_bytes",
    "nfprom_reader_resident_memory_bytes",
    "nfprom_ruleset_generation",
    "nfprom_ruleset_last_change_timestamp_seconds",
  ])
    assert.ok(new RegExp(`\\b${metric}\\b`).test(exprs), `the dashboard shows ${metric}`);
});
