import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A scrape of a large chain leaves its whole working set (snapshot, series, a multi-megabyte exposition)
 * behind as garbage, and V8 grows the heap for a long while before it collects: measured at 100k rules, the
 * web process peaked at ~440 MiB with V8's defaults and at ~300 MiB with a full collection after each
 * scrape. Exporters sit idle between scrapes, so that is the moment to give the memory back. A full
 * collection costs ~15 ms of CPU at 10k rules and ~120 ms at 100k, so it only runs once the heap has grown
 * well past what the last one left (small chains never pay for it).
 */
const MIN_HEAP_BYTES = 64 * 1024 * 1024;
const GROWTH_FACTOR = 2;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
let scheduled = false;
let afterLastCollection = 0;

/**
 * collectGarbageIfGrown, called when a scrape's work is done, schedules one full collection (after the
 * current I/O) when the heap holds more than 64 MiB and twice what the previous collection left.
 */
export function collectGarbageIfGrown(): void {
  if (scheduled) return;
  const used = getHeapStatistics().used_heap_size;
  if (used < Math.max(MIN_HEAP_BYTES, GROWTH_FACTOR * afterLastCollection)) return;
  scheduled = true;
  setImmediate(() => {
    gc();
    afterLastCollection = getHeapStatistics().used_heap_size;
    scheduled = false;
  });
}
