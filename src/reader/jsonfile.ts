import { parseComment } from "../labels/comment.js";
import { labelNameProblem } from "../labels/names.js";
import { rulesFromColumns } from "../model/rule-columns.js";
import type { Snapshot } from "../model/snapshot.js";

/**
 * snapshotJson renders the Go tool's hand-off format, one entry per exported rule:
 * `[{"Bytes":n,"Packets":n,"Labels":["k",...],"Fields":{"k":"v",...}}]`. Counters are written as exact
 * integer literals (JSON allows any size; JSON.stringify cannot print a bigint).
 */
export function snapshotJson(snapshot: Snapshot): string {
  const entries: string[] = [];
  for (const rule of rulesFromColumns(snapshot.rules)) {
    if (rule.bytes === undefined || rule.packets === undefined) continue;
    const parsed = parseComment(rule.comment);
    if (parsed.kind !== "labels") continue;
    const keys = [...parsed.labels.keys()].sort();
    if (keys.some((k) => labelNameProblem(k) !== undefined)) continue;
    const fields = Object.fromEntries(keys.map((k) => [k, parsed.labels.get(k)]));
    entries.push(
      `{"Bytes":${rule.bytes},"Packets":${rule.packets},"Labels":${JSON.stringify(keys)},"Fields":${JSON.stringify(fields)}}`,
    );
  }
  return `[${entries.join(",")}]\n`;
}
