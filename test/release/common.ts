import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../system/harness.js";

/** Where scripts/test-release.sh put the artifacts it built. */
export const RELEASE_DIR: string = process.env.NFPROM_RELEASE_DIR ?? "";
if (RELEASE_DIR === "") throw new Error("NFPROM_RELEASE_DIR is not set: run scripts/test-release.sh");

export const VERSION: string = (
  JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** packaging/runtimes.json: the bundled Node.js version and the pinned checksums. */
export const RUNTIMES = JSON.parse(readFileSync(join(REPO_ROOT, "packaging/runtimes.json"), "utf8")) as {
  bundled: string;
  packages: Record<string, { node_sha256: string }>;
};
