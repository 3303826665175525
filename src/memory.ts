import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A scrape of a large chain leaves its whole working set (snapshot, series, a multi-megabyte exposition)
 * behind as garbage, and V8 grows the heap for a long while before it collects (docs/design-notes.md).
 * Exporters sit idle between scrapes, so that is the moment to give the memory back. A full collection
 * costs CPU, so it only runs above 32 MiB in use and once memory has grown 16 MiB past what the last one
 * left: small chains never pay for it. Memory here is the JS heap plus the ArrayBuffers it holds (the
 * exposition, each read's columns), which V8 would otherwise let pile up to 64 MiB before collecting them.
 */
/**
 * V8 options both processes run with (Node takes them only on its command line: the reader re-executes
 * itself with them, src/cli/reexec.ts; the web process is started with them). --max-semi-space-size=1: a
 * young generation of 1 MiB semi-spaces instead of 16. A read or scrape of 100k rules allocates objects
 * that live until it is answered; with large semi-spaces V8 lets the young generation grow to 32 MiB and
 * more before it collects; 1 MiB lowers the peak at no cost in scrape time (docs/design-notes.md).
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
