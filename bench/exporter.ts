/** The exporter as the benchmark parts run it: started with flags, ready when it answers, stopped by pid. */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { httpGet } from "./http.js";
import { childrenOf } from "./proc.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NFPROM_MAIN = join(REPO_ROOT, "dist/src/cli/main.js");

/**
 * startExporter runs `node dist/src/cli/main.js ...args` (its output to logPath), waits until `port`
 * answers, and returns it with its one web process.
 */
export async function startExporter(
  args: string[],
  port: number,
  logPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; webPid: number }> {
  const fd = openSync(logPath, "w");
  const all = [NFPROM_MAIN, "-listen", `127.0.0.1:${port}`, "-read-timeout", "60s", ...args];
  const child = spawn(process.execPath, all, { stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exporter exited:\n${readFileSync(logPath, "utf8")}`);
    const up = await httpGet(port, "/").then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`exporter never listened:\n${readFileSync(logPath, "utf8")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const kids = childrenOf(child.pid as number);
  if (kids.length !== 1) throw new Error(`expected one web process, found ${kids.join(",")}`);
  return { child, webPid: kids[0] as number };
}

export async function stopExporter(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}
