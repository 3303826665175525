/** /proc readers for the benchmark: CPU time, peak memory and children of a process. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** statFields returns the fields of /proc/<pid>/stat after "pid (comm)": index 0 is field 3 (state). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat
    .slice(stat.lastIndexOf(")") + 2)
    .trim()
    .split(" ");
}

/**
 * cpuMs is the CPU time of the process's threads, user and system, in milliseconds, from the scheduler's
 * nanosecond run times (/proc/<pid>/task/<tid>/schedstat): /proc/<pid>/stat counts 10 ms ticks, too coarse
 * for a scrape of 100 rules. Threads that ended are not counted; Node's threads live as long as the process.
 */
export function cpuMs(pid: number): number {
  const t = cpuByThreadMs(pid);
  return t.main + t.pool + t.v8 + t.other;
}

/** The threads of a Node process, by what runs on them. */
export interface ThreadCpuMs {
  /** JavaScript, and the system calls it makes itself. */
  main: number;
  /** libuv's pool: nfprom's netlink dumps and barriers in the reader, zlib in the web process. */
  pool: number;
  /** V8's workers: concurrent garbage collection and compilation. */
  v8: number;
  other: number;
}

/** cpuByThreadMs is cpuMs split by thread kind (the thread names Node gives: libuv-worker, V8Worker). */
export function cpuByThreadMs(pid: number): ThreadCpuMs {
  const out: ThreadCpuMs = { main: 0, pool: 0, v8: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ms = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      const kind =
        Number(tid) === pid
          ? "main"
          : name === "libuv-worker"
            ? "pool"
            : name === "V8Worker"
              ? "v8"
              : "other";
      out[kind] += ms;
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** threadCpuDelta is after − before, divided by `per` (the scrapes between). */
export function threadCpuDelta(before: ThreadCpuMs, after: ThreadCpuMs, per: number): ThreadCpuMs {
  return {
    main: (after.main - before.main) / per,
    pool: (after.pool - before.pool) / per,
    v8: (after.v8 - before.v8) / per,
    other: (after.other - before.other) / per,
  };
}

/**
 * serviceKiB is what the processes cost their host together: each one's private pages, plus the pages of
 * the executable they share (both run the same `node`) counted once. Summing VmRSS would count those twice.
 */
export function serviceKiB(pids: readonly number[]): number {
  let privateKiB = 0;
  let sharedExecutableKiB = 0;
  for (const pid of pids) {
    let shared = 0;
    const exe = readlinkSync(`/proc/${pid}/exe`);
    let inExecutable = false;
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (mapping) {
        inExecutable = mapping[1] === exe;
        continue;
      }
      const field = /^(Private_Clean|Private_Dirty|Shared_Clean|Shared_Dirty):\s+(\d+) kB/.exec(line);
      if (!field) continue;
      const kib = Number(field[2]);
      if (field[1]?.startsWith("Private")) privateKiB += kib;
      else if (inExecutable) shared += kib;
    }
    sharedExecutableKiB = Math.max(sharedExecutableKiB, shared);
  }
  return privateKiB + sharedExecutableKiB;
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
