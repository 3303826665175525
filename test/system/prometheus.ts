import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Netns, scrape, waitUntil } from "./harness.js";

/** A real Prometheus (Debian's package) started inside a test namespace, and its HTTP API. */
export const PROMETHEUS = "/usr/bin/prometheus";

export interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  port: number;
  /** Prometheus' stderr so far. */
  log(): string;
  /** An instant query through /api/v1/query; a non-200 answer throws with Prometheus' message. */
  query(promql: string): Promise<VectorResult[]>;
  /**
   * queryAll runs many instant queries from one process in the namespace: a process per query (as
   * query() starts, ~0.25 s each on 2 cores) made 45 queries take 11 s.
   */
  queryAll(promqls: readonly string[]): Promise<VectorResult[][]>;
  /** GET an API path (e.g. /api/v1/alerts) and return its `data`. */
  api<T>(path: string): Promise<T>;
}

/**
 * startPrometheus writes `config` to a fresh directory, starts Prometheus on a free port of `ns` with its
 * storage there (plus `args`), and resolves once it is ready. The namespace stops it with its processes.
 */
export async function startPrometheus(ns: Netns, config: string, args: string[] = []): Promise<Prometheus> {
  const port = ns.freePort();
  const dir = ns.tempDir();
  writeFileSync(join(dir, "prometheus.yml"), config);
  const proc = ns.spawn(PROMETHEUS, [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...args,
  ]);
  let log = "";
  proc.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  const api = async <T>(path: string): Promise<T> => {
    const r = await scrape(ns, `http://127.0.0.1:${port}${path}`);
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body}`);
    return (JSON.parse(r.body) as { data: T }).data;
  };
  await waitUntil(
    async () => (await scrape(ns, `http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.status === 200,
    { timeoutMs: 30_000, what: `Prometheus to be ready\n${log.slice(-3000)}` },
  );
  const query = async (promql: string) =>
    (await api<{ result: VectorResult[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result;
  const queryAll = async (promqls: readonly string[]) => {
    const urls = promqls.map((q) => `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
    const script = `Promise.all(${JSON.stringify(urls)}.map(async (url) => {
  const res = await fetch(url);
  const body = await res.json();
  if (res.status !== 200) throw new Error(url + ": HTTP " + res.status + " " + JSON.stringify(body));
  return body.data.result;
})).then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e.message); process.exit(1); });`;
    const r = await ns.exec(process.execPath, ["-e", script], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`queries failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as VectorResult[][];
  };
  return { port, log: () => log, api, query, queryAll };
}
