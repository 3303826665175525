/**
 * Where each end-to-end scrape's time goes, across the reader and the web process. The exporter is started
 * with bench/phase-hook.ts imported (NODE_OPTIONS, inherited by the web process), which appends timestamped
 * events to a directory; phaseTable pairs them with the client's own timestamps. The chain rows time their
 * phases on an exporter of their own, so that the headline numbers come from an unmodified one;
 * BENCH_PHASES=1 also times the sources' scrapes.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HttpResult } from "./http.js";
import { dist, fmtMs } from "./stats.js";

export const PHASES = process.env.BENCH_PHASES === "1";
const PHASE_HOOK = new URL("./phase-hook.js", import.meta.url).href;

/** PhaseLog is the directory one exporter's events go to, or nothing when phases are not timed. */
export class PhaseLog {
  readonly dir: string | undefined;

  constructor(timed = PHASES) {
    this.dir = timed ? mkdtempSync(join(tmpdir(), "nfprom-bench-phases-")) : undefined;
    if (this.dir) chmodSync(this.dir, 0o777); // the web process (nobody) appends its events here
  }

  /** env: the exporter's environment, with the hook when phases are timed. */
  env(): NodeJS.ProcessEnv {
    if (!this.dir) return process.env;
    return {
      ...process.env,
      BENCH_PHASES_DIR: this.dir,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${PHASE_HOOK}`.trim(),
    };
  }

  /** table: per-phase median / p95 of the scrapes as markdown rows (undefined when not timed); removes the events. */
  table(scrapes: HttpResult[]): string | undefined {
    if (!this.dir) return undefined;
    const rows = phaseTable(this.dir, scrapes);
    rmSync(this.dir, { recursive: true, force: true });
    return rows;
  }
}

/** phaseSection renders the report's section from titled tables (nothing when there are none). */
export function phaseSection(
  heading: string,
  tables: { title: string; rows: string }[],
  note = "this run's e2e figures include its small overhead",
): string {
  if (tables.length === 0) return "";
  const body = tables
    .map((t) => `### ${t.title}\n\n| phase | p50 | p95 |\n|---|---:|---:|\n${t.rows}`)
    .join("\n\n");
  return `\n## ${heading}\n\nTimestamps from bench/phase-hook.ts, which wraps the entry points of the link between the processes and of HTTP in both processes
(${note}). Median / p95 per phase.\n\n${body}\n`;
}

/**
 * phaseTable pairs each scrape (client timestamps) with the events bench/phase-hook.ts recorded in the
 * reader and the web process, and returns markdown rows of the per-phase medians.
 */
function phaseTable(phasesDir: string, scrapes: HttpResult[]): string {
  const events = (role: string): [string, number][] => {
    const out: [string, number][] = [];
    for (const f of readdirSync(phasesDir).filter((x) => x.startsWith(`${role}-`))) {
      for (const line of readFileSync(join(phasesDir, f), "utf8").split("\n")) {
        if (line) out.push(JSON.parse(line) as [string, number]);
      }
    }
    return out.sort((a, b) => a[1] - b[1]);
  };
  const reader = events("reader");
  const web = events("web");
  const at = (list: [string, number][], name: string, after: number | undefined) =>
    after === undefined ? undefined : list.find(([n, t]) => n === name && t >= after)?.[1];
  const names = [
    "client → web 'request' event",
    "web: request → read request sent",
    "link web → reader",
    "reader: read + decode",
    "reader: serialise + queue reply",
    "link reader → web, incl. deserialise",
    "web: label policy + exposition, until res.end() is called",
    "res.end() called → client has the last byte",
  ];
  const cols: number[][] = names.map(() => []);
  const endCalls: number[] = [];
  for (const s of scrapes) {
    const httpReq = at(web, "httpReq", s.sentAt);
    const reqSend = at(web, "reqSend", httpReq);
    const reqRecv = at(reader, "reqRecv", reqSend);
    const replySend = at(reader, "replySend", reqRecv);
    const replySent = at(reader, "replySent", replySend);
    const replyRecv = at(web, "replyRecv", replySent);
    const endCall = at(web, "endCall", replyRecv);
    const endRet = at(web, "endRet", endCall);
    const points = [s.sentAt, httpReq, reqSend, reqRecv, replySend, replySent, replyRecv, endCall, s.doneAt];
    if (points.some((p) => p === undefined) || endRet === undefined) continue;
    for (let i = 0; i < names.length; i++)
      (cols[i] as number[]).push((points[i + 1] as number) - (points[i] as number));
    endCalls.push(endRet - (endCall as number));
  }
  const row = (name: string, c: number[]) =>
    c.length ? `| ${name} | ${fmtMs(dist(c).p50)} | ${fmtMs(dist(c).p95)} |` : `| ${name} | – | – |`;
  return [
    ...names.map((name, i) => row(name, cols[i] as number[])),
    row("(within the last: the res.end() call itself, which can outlast delivery)", endCalls),
  ].join("\n");
}
