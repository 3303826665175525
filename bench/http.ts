/** The benchmark's HTTP client: one GET as Prometheus sends it, timed to the last byte. */
import { type Agent, get, type IncomingMessage } from "node:http";
import { gunzipSync } from "node:zlib";

/** What Prometheus sends with every scrape (scrape.go: acceptHeader, enable_compression): gzip, text format. */
export const AS_PROMETHEUS = {
  "Accept-Encoding": "gzip",
  Accept: "text/plain;version=0.0.4;q=0.9,*/*;q=0.1",
};

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
  /** CLOCK_MONOTONIC ms (process.hrtime, the clock bench/phase-hook.ts uses) when the request was sent and
   *  when its last byte arrived. */
  sentAt: number;
  doneAt: number;
}

/** httpGet fetches 127.0.0.1:port/path (over `agent`, or a fresh connection); the body is gunzipped after the timing. */
export function httpGet(port: number, path: string, agent?: Agent): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const sentAt = Number(process.hrtime.bigint()) / 1e6;
    const req = get(
      { host: "127.0.0.1", port, path, agent: agent ?? false, headers: AS_PROMETHEUS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const doneAt = Number(process.hrtime.bigint()) / 1e6;
          resolve({
            status: res.statusCode ?? 0,
            body: bodyText(res, chunks),
            ms: doneAt - sentAt,
            sentAt,
            doneAt,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
  });
}

function bodyText(res: IncomingMessage, chunks: Buffer[]): string {
  const raw = Buffer.concat(chunks);
  return (res.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
}
