import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeDeadline } from "../../src/deadline.js";
import { ErrorCodes, NfpromError } from "../../src/errors.js";

test("beforeDeadline: the work's value or error when it settles in time", async () => {
  assert.equal(await beforeDeadline(Promise.resolve(7), Date.now() + 1000), 7);
  const failed = new Error("kernel said no");
  await assert.rejects(beforeDeadline(Promise.reject(failed), Date.now() + 1000), failed);
});

test("beforeDeadline: NFPROM_TIMEOUT at the deadline, also one already past, while the work goes on", async () => {
  let finished = false;
  const work = sleep(200).then(() => {
    finished = true;
  });
  const started = Date.now();
  await assert.rejects(
    beforeDeadline(work, started + 30),
    (err) => err instanceof NfpromError && err.code === ErrorCodes.TIMEOUT,
  );
  assert.ok(Date.now() - started < 190, "rejected at the deadline, not when the work ended");
  assert.equal(finished, false);
  await assert.rejects(beforeDeadline(sleep(50), Date.now() - 5), { code: ErrorCodes.TIMEOUT });
  await work;
});
