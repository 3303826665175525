import { readFileSync } from "node:fs";
import type { Config } from "../config/config.js";
import { toErrorInfo } from "../errors.js";
import { diagnose, itemFindings } from "../labels/diagnose.js";
import type { CommentedItem } from "../labels/items.js";
import { rulesFromColumns } from "../model/rule-columns.js";
import type { RuleCounters } from "../model/snapshot.js";
import { describe } from "../nftables/chain-dump.js";
import { FAMILIES } from "../nftables/constants.js";
import { createCollector, FatalError, policyOptions, requireNetAdmin } from "../reader/setup.js";
import { itemsOf } from "../sources/slices.js";
import { itemsFromNftJson, rulesFromNftJson } from "./nft-json.js";
import { formatReport, isClean } from "./report.js";

/**
 * runCheck is `nfprom check`: read the chain from the kernel (same flags as the exporter, needs
 * CAP_NET_ADMIN) or from `nft -j list ruleset` JSON (-input FILE or -input -), judge every rule with the
 * exporter's label policy, and the comments of the named counters, quotas and set elements that -counters,
 * -quotas and -sets select, and print the findings. Resolves 0 when clean, 1 with problems; a chain that
 * cannot be read throws FatalError (exit 1 with the reason, like the exporter itself).
 */
export async function runCheck(config: Config): Promise<number> {
  const { rules, items, derivedKeys, source } =
    config.input === undefined ? await fromKernel(config) : fromJson(config);
  const result = diagnose(rules, policyOptions(config), derivedKeys);
  if (selectsItems(config)) {
    result.findings.push(...itemFindings(items, config.maxLabelNames));
    result.items = items.length;
  }
  process.stdout.write(formatReport(result, source, config.format));
  return isClean(result) ? 0 : 1;
}

interface Input {
  rules: RuleCounters[];
  items: CommentedItem[];
  derivedKeys: string[];
  source: string;
}

async function fromKernel(config: Config): Promise<Input> {
  requireNetAdmin(config);
  const reader = createCollector(config);
  try {
    const snapshot = await reader.read(Date.now() + config.readTimeoutMs);
    const source = describe({ family: FAMILIES[config.family], table: config.table, chain: config.chain });
    return {
      rules: rulesFromColumns(snapshot.rules),
      items: itemsOf(snapshot),
      derivedKeys: snapshot.derivedLabels ?? [],
      source,
    };
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
function fromJson(config: Config): Input {
  const path = config.input as string;
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    throw new FatalError(`cannot read ${path === "-" ? "stdin" : path}: ${(err as Error).message}`);
  }
  if (config.ruleLabels.length > 0) {
    process.stderr.write(
      "nfprom: -rule-labels is not applied to -input JSON; derived labels need the kernel read\n",
    );
  }
  const selector = { family: config.family, table: config.table, chain: config.chain };
  try {
    return {
      rules: rulesFromNftJson(text, selector),
      items: itemsFromNftJson(text, config),
      derivedKeys: [],
      source: path === "-" ? "stdin" : path,
    };
  } catch (err) {
    throw new FatalError(`${path}: ${(err as Error).message}`);
  }
}

function selectsItems({ counterPatterns, quotaPatterns, setPatterns, tablePatterns }: Config): boolean {
  return [counterPatterns, quotaPatterns, setPatterns, tablePatterns].some((patterns) => patterns.length > 0);
}
