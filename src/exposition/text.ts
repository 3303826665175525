/**
 * Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 * Counters are bigints printed as exact decimal integers, never in floating-point notation.
 */
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge";
export type SampleValue = bigint | number;

/** Sample is one line of a family: pre-rendered labels (see formatLabels) and a value. */
export interface Sample {
  labels: string;
  value: SampleValue;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Iterable<Sample>;
}

/** escapeLabelValue escapes backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

/** formatLabels renders `{k="v",...}` for aligned names and values; "" when there are no labels. */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  let out = "{";
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ",";
    out += `${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  }
  return `${out}}`;
}

/** formatValue prints bigints exactly and floats in a form Prometheus parses (NaN, +Inf, -Inf). */
export function formatValue(value: SampleValue): string {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** escapeHelp escapes backslash and line feed in HELP text. */
function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === "\\" ? "\\\\" : "\\n"));
}

/** renderText renders families in order; a family without samples still gets its HELP and TYPE. */
export function renderText(families: Iterable<MetricFamily>): string {
  const parts: string[] = [];
  for (const f of families) {
    parts.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    for (const s of f.samples) parts.push(`${f.name}${s.labels} ${formatValue(s.value)}\n`);
  }
  return parts.join("");
}
