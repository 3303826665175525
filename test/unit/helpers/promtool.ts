import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const PROMTOOL = "/usr/bin/promtool";

/** promtoolMissing is a skip reason when promtool (Debian package prometheus) is not installed. */
export const promtoolMissing: string | false = !existsSync(PROMTOOL) && "promtool is not installed";

/** checkMetrics runs `promtool check metrics` on the text: 0 clean, 3 lint problems, 1 parse error. */
export function checkMetrics(text: string): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
