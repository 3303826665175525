// lintian (Debian's package checker) on the .deb files scripts/test-release.sh built: no errors, and no
// warnings but those packaging/debian/lintian-overrides explains. Its own file so that it runs beside the
// other release tests (it takes a minute, mostly reading the Node.js binary).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT, run } from "../system/harness.js";

const RELEASE_DIR = process.env.NFPROM_RELEASE_DIR;
if (!RELEASE_DIR) throw new Error("NFPROM_RELEASE_DIR is not set: run scripts/test-release.sh");
const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };

test("lintian: no errors and no warnings beyond those the package explains (lintian-overrides)", async () => {
  const deb = join(RELEASE_DIR, `nfprom_${version}_amd64.deb`);
  const r = await run("lintian", ["--fail-on", "error,warning", deb], { timeoutMs: 600_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
