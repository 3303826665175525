// lintian (Debian's package checker) on the .deb files scripts/test-release.sh built: no errors, and no
// warnings but those packaging/debian/lintian-overrides explains. Its own file so that it runs beside the
// other release tests (it takes a minute, mostly reading the Node.js binary).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../system/harness.js";
import { RELEASE_DIR, VERSION } from "./common.js";

test("lintian: no errors and no warnings beyond those the package explains (lintian-overrides)", async () => {
  const deb = join(RELEASE_DIR, `nfprom_${VERSION}_amd64.deb`);
  const r = await run("lintian", ["--fail-on", "error,warning", deb], { timeoutMs: 600_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
