import assert from "node:assert/strict";
import { test } from "node:test";
import { FatalError } from "../../../src/reader/setup.js";
import { checkWebEntry } from "../../../src/reader/web-preflight.js";
import { WEB_MAIN } from "../../../src/reader/web-process.js";

test("checkWebEntry accepts the built web process", () => {
  checkWebEntry(WEB_MAIN);
});

test("checkWebEntry names a missing web process in one line", () => {
  assert.throws(
    () => checkWebEntry("/nonexistent/nfprom/dist/src/web/main.js"),
    (err: unknown) =>
      err instanceof FatalError &&
      err.message ===
        "cannot start the web process: /nonexistent/nfprom/dist/src/web/main.js is not readable (ENOENT); reinstall nfprom",
  );
});
