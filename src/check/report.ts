import type { CheckFormat } from "../config/config.js";
import type { CheckResult, Finding } from "../labels/diagnose.js";

/** isClean: nothing the exporter drops or changes (info findings do not count). */
export function isClean(result: CheckResult): boolean {
  return result.findings.every((f) => f.severity === "info");
}

/** formatReport renders a check for people (`text`) or scripts (`json`, one object, bigints as strings). */
export function formatReport(result: CheckResult, source: string, format: CheckFormat): string {
  return format === "json" ? formatJson(result, source) : formatText(result, source);
}

function formatText(result: CheckResult, source: string): string {
  const lines: string[] = [];
  for (const f of result.findings) {
    lines.push(`${f.item ?? `handle ${f.handle}`}: ${f.severity}: ${f.problem}`);
    lines.push(`    comment: ${f.comment === undefined ? "(none)" : JSON.stringify(f.comment)}`);
  }
  if (lines.length > 0) lines.push("");
  const n = (s: Finding["severity"]) => result.findings.filter((f) => f.severity === s).length;
  const { exported, ignored, rejected } = result.counts;
  lines.push(
    `${source}: ${count(result.rules, "rule")}: ${exported} exported as ${result.series} series, ${ignored} ignored, ${rejected} rejected`,
    `labels: ${result.keys.length > 0 ? result.keys.join(", ") : "(none)"}`,
    ...(result.items === undefined
      ? []
      : [`named counters, quotas and set elements: ${result.items} checked`]),
    `${count(n("error"), "error")}, ${count(n("warning"), "warning")}, ${count(n("info"), "note")}: ${isClean(result) ? "clean" : "problems found"}`,
  );
  return `${lines.join("\n")}\n`;
}

/** count: "1 error", "2 errors". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function formatJson(result: CheckResult, source: string): string {
  const doc = {
    source,
    clean: isClean(result),
    rules: result.rules,
    counts: result.counts,
    series: result.series,
    labels: result.keys,
    ...(result.items !== undefined && { items: result.items }),
    findings: result.findings.map((f) => ({ ...f, handle: f.handle?.toString() })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
