import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A scrape of a large chain leaves its whole working set (snapshot, series, a multi-megabyte exposition)
 * behind as garbage, and V8 grows the heap for a long while before it collects: measured at 100k rules, the
 * web process peaked at ~440 MiB with V8's defaults and at ~300 MiB with a full collection after each
 * scrape. Exporters sit idle between scrapes, so that is the moment to give the memory back. A full
 * collection costs ~10–15 ms of CPU at 100k rules (2026-12: both processes keep ~20 MB of live heap), so
 * it only runs above 32 MiB in use and once memory has grown 16 MiB past what the last one left: small
 * chains never pay for it; at 100k rules it runs after most scrapes. Memory here is the JS heap plus the
 * ArrayBuffers it holds: the exposition is one Buffer outside the heap (10–20 MB at 100k series), and
 * each read's columns are ArrayBuffers too, which V8 lets pile up to 64 MiB before it collects them
 * (web process at 100k set elements: 330 → 240 MiB resident after a few scrapes).
 */
/**
 * V8 options both processes run with (Node takes them only on its command line: the reader re-executes
 * itself with them, src/cli/reexec.ts; the web process is started with them). --max-semi-space-size=1: a
 * young generation of 1 MiB semi-spaces instead of 16. A read or scrape of 100k rules allocates objects
 * that live until it is answered; with large semi-spaces V8 lets the young generation grow to 32 MiB and
 * more before it collects. Measured: 20–60 MiB less peak memory per process, no cost in scrape time.
 */
export const V8_MEMORY_OPTIONS = ["--max-semi-space-size=1"];

const MIN_BYTES = 32 * 1024 * 1024;
const MIN_GROWTH_BYTES = 16 * 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
let scheduled = false;
let afterLastCollection = 0;

/**
 * collectGarbageIfGrown, called when a scrape's work is done, schedules one full collection (after the
 * current I/O, or `delayMs` later) when more than 32 MiB are in use and at least 16 MiB more than the last
 * collection left. The timer does not keep the process alive.
 */
export function collectGarbageIfGrown(delayMs = 0): void {
  if (scheduled) return;
  const threshold = Math.max(MIN_BYTES, afterLastCollection + MIN_GROWTH_BYTES);
  if (inUse() < threshold) return;
  scheduled = true;
  const collect = () => {
    gc();
    afterLastCollection = inUse();
    scheduled = false;
  };
  if (delayMs > 0) setTimeout(collect, delayMs).unref();
  else setImmediate(collect);
}

function inUse(): number {
  return getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
}
