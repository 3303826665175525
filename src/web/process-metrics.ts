import { fs } from "../builtins.js";
import type { MetricFamily } from "../exposition/text.js";

const { readdirSync, readFileSync } = fs;

/**
 * The standard process_* metrics of the calling process, named and typed as Prometheus' client libraries
 * export them (client_golang's process collector), read from /proc/self and Node's own counters. Kept
 * apart from nfprom's metrics: they describe the web process, the one that serves the scrape.
 */
const START_TIME_SECONDS = Math.round((Date.now() / 1000 - process.uptime()) * 1000) / 1000;

export function* processFamilies(): Generator<MetricFamily> {
  const cpu = process.cpuUsage();
  yield counter(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    (cpu.user + cpu.system) / 1e6,
  );
  yield gauge("process_resident_memory_bytes", "Resident memory size in bytes.", process.memoryUsage.rss());
  const vm = statusKiB("VmSize");
  if (vm !== undefined)
    yield gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vm * 1024);
  const fds = openFds();
  if (fds !== undefined) yield gauge("process_open_fds", "Number of open file descriptors.", fds);
  const maxFds = maxOpenFiles();
  if (maxFds !== undefined)
    yield gauge("process_max_fds", "Maximum number of open file descriptors.", maxFds);
  yield gauge(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
    START_TIME_SECONDS,
  );
}

/**
 * webStartFamily is `<ns>_web_start_time_seconds`: process_start_time_seconds under nfprom's own name, so
 * that an alert on the web process restarting (a crash, or a web config switching HTTP and HTTPS) needs no
 * knowledge of which process the process_* metrics describe.
 */
export function webStartFamily(namespace: string): MetricFamily {
  return gauge(
    `${namespace}_web_start_time_seconds`,
    "Start time of the web process (the one serving this scrape), in seconds since the epoch.",
    START_TIME_SECONDS,
  );
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "gauge", samples: [{ labels: "", value }] };
}

function counter(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "counter", samples: [{ labels: "", value }] };
}

/** A metric whose /proc source is unreadable (a hardened /proc, another OS) is left out, not faked. */
function readProc(file: string): string | undefined {
  try {
    return readFileSync(`/proc/self/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

function statusKiB(field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readProc("status") ?? "");
  return m ? Number(m[1]) : undefined;
}

function openFds(): number | undefined {
  try {
    // The listing itself holds one descriptor open, as it does in client_golang's count.
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

function maxOpenFiles(): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readProc("limits") ?? "");
  if (!m) return undefined;
  return m[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(m[1]);
}
