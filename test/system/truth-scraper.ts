// Scrapes the exporter continuously for a while, inside the test's network namespace, over one keep-alive
// connection as Prometheus does, and judges every answer (truth-judge.ts). Prints one JSON line: the tally,
// and the first scrapes that were not one whole ruleset.
//
//   node dist/test/system/truth-scraper.js URL DURATION_MS chain N | sources | non-atomic N
import http from "node:http";
import { judgeChain, judgeNonAtomic, judgeSources, type Verdict } from "./truth-judge.js";

const [url = "", durationMs = "0", kind = "", n = "0"] = process.argv.slice(2);
const judges: Record<string, (body: string) => Verdict> = {
  chain: judgeChain(Number(n)),
  sources: judgeSources,
  "non-atomic": judgeNonAtomic(Number(n)),
};
const judge = judges[kind];
if (!judge) throw new Error(`unknown kind ${kind}`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { "X-Prometheus-Scrape-Timeout-Seconds": "10" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          ms: performance.now() - started,
        }),
      );
    });
    req.setTimeout(15_000, () => req.destroy(new Error("scrape timed out")));
    req.on("error", reject);
  });
}

const tally = { scrapes: 0, httpErrors: 0, up: 0, a: 0, b: 0, empty: 0, stale: 0, fresh: 0, maxMs: 0 };
const wrong: string[] = [];
const until = Date.now() + Number(durationMs);
while (Date.now() < until) {
  const res = await get();
  tally.scrapes++;
  tally.maxMs = Math.max(tally.maxMs, Math.round(res.ms));
  if (res.status !== 200) {
    tally.httpErrors++;
    continue;
  }
  const v = judge(res.body);
  if (!v.up) continue;
  tally.up++;
  if (v.ruleset === "a" || v.ruleset === "b" || v.ruleset === "empty") tally[v.ruleset]++;
  else if (wrong.length < 5) wrong.push(`scrape ${tally.scrapes}: ${v.ruleset}`);
  tally[v.stale ? "stale" : "fresh"]++;
}
agent.destroy();
process.stdout.write(`${JSON.stringify({ tally, wrong })}\n`);
