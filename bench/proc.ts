/** /proc readers for the benchmark: CPU time, peak memory and children of a process. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let clkTck: number | undefined;

/** ticksPerSecond is sysconf(_SC_CLK_TCK), the unit of utime/stime in /proc/<pid>/stat. */
export function ticksPerSecond(): number {
  clkTck ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return clkTck;
}

/** statFields returns the fields of /proc/<pid>/stat after "pid (comm)": index 0 is field 3 (state). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat
    .slice(stat.lastIndexOf(")") + 2)
    .trim()
    .split(" ");
}

/** cpuMs is utime + stime of every thread of the process (fields 14 and 15), in milliseconds. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond();
}

/** statusKiB reads one "Vm...: N kB" line of /proc/<pid>/status. */
export function statusKiB(pid: number, key: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${key} for pid ${pid}`);
  return Number(m[1]);
}

/** childrenOf lists the pids whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number(statFields(Number(name))[1]) === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
