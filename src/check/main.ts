import { fs } from "../builtins.js";
import type { Config } from "../config/config.js";
import { toErrorInfo } from "../errors.js";
import type { CheckResult } from "../labels/diagnose.js";
import { describe } from "../nftables/chain-dump.js";
import { FAMILIES } from "../nftables/constants.js";
import { createCollector, FatalError, requireNetAdmin } from "../reader/setup.js";
import type { SliceCheck } from "../sources/slice.js";
import { SLICES } from "../sources/slices.js";
import { readNftJson } from "./nft-json.js";
import { formatReport, isClean } from "./report.js";

/**
 * runCheck is `nfprom check`: read the chain from the kernel (same flags as the exporter, needs
 * CAP_NET_ADMIN) or from `nft -j list ruleset` JSON (-input FILE or -input -), and let every slice judge
 * its part (sources/slice.ts SliceCheck): every rule by the exporter's label policy, the comments of the
 * items the optional sources' flags select by their label texts; then print the findings. Resolves 0
 * when clean, 1 with problems; a chain that cannot be read throws FatalError (exit 1 with the reason,
 * like the exporter itself).
 */
export async function runCheck(config: Config): Promise<number> {
  const checks = SLICES.map((slice) => slice.check(config));
  const source = config.input === undefined ? await fromKernel(config, checks) : fromJson(config, checks);
  const result: CheckResult = {
    rules: 0,
    counts: { exported: 0, ignored: 0, rejected: 0 },
    keys: [],
    series: 0,
    findings: [],
  };
  for (const check of checks) check.judge(result);
  process.stdout.write(formatReport(result, source, config.format));
  return isClean(result) ? 0 : 1;
}

/** fromKernel reads through the reader's collector and names what it read. */
async function fromKernel(config: Config, checks: readonly SliceCheck[]): Promise<string> {
  requireNetAdmin(config);
  const reader = createCollector(config);
  try {
    const snapshot = await reader.read(Date.now() + config.readTimeoutMs);
    for (const check of checks) check.read(snapshot);
    return describe({ family: FAMILIES[config.family], table: config.table, chain: config.chain });
  } catch (err) {
    throw new FatalError(toErrorInfo(err).message);
  } finally {
    reader.close();
  }
}

/**
 * fromJson reads libnftables JSON. Rule-derived labels need the kernel's expressions, so with
 * -rule-labels a JSON check judges the comment labels only (and says so on stderr).
 */
function fromJson(config: Config, checks: readonly SliceCheck[]): string {
  const path = config.input as string;
  let text: string;
  try {
    text = fs.readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    throw new FatalError(`cannot read ${path === "-" ? "stdin" : path}: ${(err as Error).message}`);
  }
  if (config.ruleLabels.length > 0) {
    process.stderr.write(
      "nfprom: -rule-labels is not applied to -input JSON; derived labels need the kernel read\n",
    );
  }
  try {
    readNftJson(text, checks);
  } catch (err) {
    throw new FatalError(`${path}: ${(err as Error).message}`);
  }
  return path === "-" ? "stdin" : path;
}
