import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

/** The shipped operations files (ops/), read by the unit tests and by the Prometheus system test. */
export const OPS_DIR: string = fileURLToPath(new URL("../../../../ops/", import.meta.url));
export const RULE_FILES = ["rules/nfprom-recording.yml", "rules/nfprom-alerts.yml"] as const;
export const ALERT_TESTS = "rules/tests/nfprom-alerts.test.yml";
export const DASHBOARD = "grafana/nfprom-dashboard.json";

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function opsFile(path: string): string {
  return readFileSync(`${OPS_DIR}${path}`, "utf8");
}

/** rules: every recording and alerting rule of the shipped rule files. */
export function rules(): Rule[] {
  return RULE_FILES.flatMap((file) =>
    (parse(opsFile(file)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
  );
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}

export interface Dashboard {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { type: string; name: string; query?: unknown; datasource?: unknown }[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(opsFile(DASHBOARD)) as Dashboard;
}

/** allPanels: the dashboard's panels, those inside collapsed rows included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** panelTargets: every query of the dashboard with the panel it belongs to. */
export function panelTargets(d: Dashboard): { panel: Panel; target: Target }[] {
  return allPanels(d).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/** Grafana's built-in variables the queries use, and a value each for running them outside Grafana. */
export const BUILTIN_VARIABLES: Record<string, string> = {
  __rate_interval: "1m",
  __interval: "15s",
  __range: "5m",
};

/** variablesOf: the names of the `$name` and `${name}` variables an expression uses. */
export function variablesOf(expr: string): string[] {
  return [...expr.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1] as string);
}

/** concreteQuery replaces the built-in variables by a value and the dashboard's own by `.*` (All). */
export function concreteQuery(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (_, name: string) => BUILTIN_VARIABLES[name] ?? ".*");
}

/** legendLabels: the labels a target's legend names (`{{label}}`): the labels its results must carry. */
export function legendLabels(target: Target): string[] {
  return [...(target.legendFormat ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] as string);
}

/**
 * metricNames: the exporter's metric names an expression reads (nfprom_* and the web process's
 * process_*), not Prometheus' own series (up, scrape_*) nor recording rule names (level:metric:op).
 */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/(?<![\w:])((?:nfprom|process)_\w+)/g)].map((m) => m[1] as string))];
}
