import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

const TIMERS = new URL("../../src/timers.js", import.meta.url).href;

/**
 * wakeUps starts a Node process that sets a 300 ms timer and clears it at once (with clearTimeout or
 * cancelTimer), then counts how often its main thread wakes up (voluntary context switches) from 100 to
 * 700 ms later, while it has nothing to do.
 */
async function wakeUps(clear: "clearTimeout" | "cancelTimer"): Promise<number> {
  const code = `
    import { cancelTimer } from ${JSON.stringify(TIMERS)};
    setInterval(() => {}, 2 ** 30);
    const t = setTimeout(() => {}, 300);
    setImmediate(() => { ${clear}(t); process.stdout.write("ready\\n"); });`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await once(child.stdout, "data");
    const switches = () =>
      Number(
        /voluntary_ctxt_switches:\s+(\d+)/.exec(
          readFileSync(`/proc/${child.pid}/task/${child.pid}/status`, "utf8"),
        )?.[1],
      );
    await sleep(100);
    const before = switches();
    await sleep(600);
    return switches() - before;
  } finally {
    child.kill();
  }
}

test("a timer cleared with cancelTimer does not wake the process at its expiry; clearTimeout's does", {
  timeout: 20_000,
}, async () => {
  // Three tries each, so that an unrelated wake-up of a busy machine cannot decide the outcome.
  const cleared: number[] = [];
  const cancelled: number[] = [];
  for (let i = 0; i < 3; i++) {
    cleared.push(await wakeUps("clearTimeout"));
    cancelled.push(await wakeUps("cancelTimer"));
  }
  assert.ok(Math.max(...cleared) >= 1, `clearTimeout: ${cleared} wake-ups (the check cannot see them)`);
  assert.equal(Math.min(...cancelled), 0, `cancelTimer: ${cancelled} wake-ups`);
});
