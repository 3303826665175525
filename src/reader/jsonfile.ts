import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { parseComment } from "../labels/comment.js";
import { labelNameProblem } from "../labels/policy.js";
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

/**
 * writeFileAtomically writes a temporary file beside `path` (`mode`, whatever the umask; group `gid` when
 * given), flushes it and renames it over `path`, so a reader of `path` sees the old or the new content,
 * never a torn mix.
 */
export function writeFileAtomically(
  path: string,
  content: string,
  gid: number | undefined,
  mode = 0o640,
): void {
  // An unpredictable name opened with O_CREAT|O_EXCL ("wx"): whoever can write to the directory cannot
  // plant a symlink there that would make the privileged reader write to (and chown) another file.
  const tmp = `${path}.tmp-${randomBytes(8).toString("hex")}`;
  const fd = openSync(tmp, "wx", mode);
  try {
    fchmodSync(fd, mode);
    if (gid !== undefined) fchownSync(fd, -1, gid);
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
