/**
 * Node's own floor for a scrape: what the runtime costs before nfprom does anything. Two processes of the
 * same `node`, with the V8 options nfprom runs with: one an HTTP server that answers every GET with a
 * fixed, already gzipped body (the exposition nfprom served), the other idle (the reader's place). The
 * same client, headers and connection reuse as the exporter's scrapes; so whatever nfprom costs beyond
 * these figures is its own work, and a target below them cannot be met by any Node exporter.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent } from "node:http";
import { gzipSync, constants as zlib } from "node:zlib";
import { V8_MEMORY_OPTIONS } from "../src/memory.js";
import { httpGet } from "./http.js";
import { cpuMs, serviceKiB } from "./proc.js";
import { type Dist, dist } from "./stats.js";

export interface NodeFloor {
  e2e: Dist;
  /** CPU of both processes per scrape, back to back. */
  cpuPerScrapeMs: number;
  /** The same for scrapes `gapMs` apart, the time between them included. */
  spacedCpuMs: number;
  /** Both processes' private pages plus the shared executable once, after the scrapes. */
  serviceKiB: number;
  /** The same two processes before any request: the runtime alone. */
  idleServiceKiB: number;
}

const SERVER = `
const body = Buffer.from(process.env.NODE_FLOOR_BODY, "base64");
require("node:http").createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Content-Encoding": "gzip" });
  res.end(body);
}).listen(Number(process.env.NODE_FLOOR_PORT), "127.0.0.1", () => console.log("ready"));
`;

/**
 * nodeFloor serves `exposition` (gzipped as nfprom does it) k times, after `warmup` untimed times, from a
 * bare Node server on `port`.
 */
export async function nodeFloor(
  exposition: string,
  port: number,
  k: number,
  warmup: number,
  spaced: { scrapes: number; gapMs: number },
): Promise<NodeFloor> {
  const body = gzipSync(exposition, { level: zlib.Z_BEST_SPEED });
  const env = { ...process.env, NODE_FLOOR_BODY: body.toString("base64"), NODE_FLOOR_PORT: String(port) };
  const server = spawn(process.execPath, [...V8_MEMORY_OPTIONS, "-e", SERVER], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const idle = spawn(process.execPath, [...V8_MEMORY_OPTIONS, "-e", "setInterval(() => {}, 1 << 30)"], {
    stdio: "ignore",
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await once(server.stdout as NodeJS.ReadableStream, "data");
    await new Promise((r) => setTimeout(r, 500));
    const pids = [server.pid as number, idle.pid as number];
    const idleServiceKiB = serviceKiB(pids);
    const get = async () => {
      const res = await httpGet(port, "/metrics", agent);
      if (res.status !== 200 || res.body !== exposition) throw new Error(`node floor: HTTP ${res.status}`);
      return res.ms;
    };
    for (let i = 0; i < warmup; i++) await get();
    const cpu = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
    const cpu0 = cpu();
    const runs: number[] = [];
    for (let i = 0; i < k; i++) runs.push(await get());
    const cpuPerScrapeMs = (cpu() - cpu0) / k;
    const service = serviceKiB(pids);
    const spaced0 = cpu();
    for (let i = 0; i < spaced.scrapes; i++) {
      await new Promise((r) => setTimeout(r, spaced.gapMs));
      await get();
    }
    const spacedCpuMs = (cpu() - spaced0) / spaced.scrapes;
    return { e2e: dist(runs), cpuPerScrapeMs, spacedCpuMs, serviceKiB: service, idleServiceKiB };
  } finally {
    agent.destroy();
    for (const child of [server, idle]) stop(child);
  }
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null) child.kill("SIGTERM");
}
