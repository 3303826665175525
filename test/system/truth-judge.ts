// Judges a scrape taken while two rulesets are swapped (reload-truth.test.ts): is it exactly one of them?
// Shared by the test and truth-scraper.ts, which scrapes inside the namespace.

export interface Verdict {
  up: boolean;
  /** The ruleset every series came from ("a", "b", "empty"), or why the scrape is not one ruleset. */
  ruleset: string;
  stale: boolean;
}

/** Series lines of one metric: [labels text, value]. */
export function series(body: string, name: string): [string, string][] {
  const out: [string, string][] = [];
  const prefix = `${name}{`;
  for (const line of body.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const end = line.lastIndexOf("} ");
    out.push([line.slice(prefix.length, end), line.slice(end + 2)]);
  }
  return out;
}

export function value(body: string, line: string): number | undefined {
  const m = body.match(new RegExp(`^${line.replace(/[{}"[\]]/g, "\\$&")} (\\S+)$`, "m"));
  return m ? Number(m[1]) : undefined;
}

/**
 * oneRuleset checks that the series of `name` are exactly those of one ruleset: n of them, indices 0..n-1
 * once each, all with label rs=<a|b>, and each value the one that ruleset sets (expected(rs, i)).
 */
export function oneRuleset(
  body: string,
  name: string,
  n: number,
  expected: (rs: string, i: number) => string,
): string {
  const found = series(body, name);
  if (found.length === 0) return "empty";
  const sets = new Set<string>();
  const seen = new Set<number>();
  for (const [labels, v] of found) {
    const rs = labels.match(/rs="([ab])"/)?.[1];
    const i = Number(labels.match(/idx="[ab](\d+)"/)?.[1]);
    if (!rs || !Number.isInteger(i)) return `foreign series ${labels}`;
    sets.add(rs);
    if (seen.has(i)) return `${name}: index ${i} twice`;
    seen.add(i);
    if (v !== expected(rs, i)) return `${name}{${labels}} = ${v}, the ruleset says ${expected(rs, i)}`;
  }
  if (sets.size > 1) return `${name}: mixed rulesets`;
  if (found.length !== n) return `${name}: ${found.length} of ${n} series`;
  return [...sets][0] as string;
}

export const packetsOf = (rs: string) => (rs === "a" ? "1" : "2");

export function judgeChain(n: number): (body: string) => Verdict {
  return (body) => {
    const up = value(body, "nfprom_up") === 1;
    const ruleset = oneRuleset(body, "nfprom_packets_total", n, packetsOf);
    const bytes = oneRuleset(body, "nfprom_bytes_total", n, (_, i) => String(i));
    const stale = (value(body, "nfprom_snapshot_age_seconds") ?? 0) > 0;
    return { up, ruleset: bytes === ruleset ? ruleset : `${ruleset} / bytes: ${bytes}`, stale };
  };
}

/** Every source at once: 4 chains, named counters, quotas and a set, all in one ruleset file. */
export const SOURCES = { chains: 4, rulesPerChain: 250, counters: 200, quotas: 100, elements: 300 };

/** judgeSources: rules of every chain, named counters, quotas and set elements all of one ruleset. */
export function judgeSources(body: string): Verdict {
  const up = value(body, "nfprom_up") === 1;
  const n = SOURCES.chains * SOURCES.rulesPerChain;
  const parts = [
    oneRuleset(body, "nfprom_packets_total", n, packetsOf),
    oneRuleset(body, "nfprom_object_packets_total", SOURCES.counters, packetsOf),
    oneRuleset(body, "nfprom_quota_used_bytes", SOURCES.quotas, packetsOf),
    oneRuleset(body, "nfprom_quota_limit_bytes", SOURCES.quotas, (_, i) => String(1000 + i)),
    oneRuleset(body, "nfprom_set_element_packets_total", SOURCES.elements, packetsOf),
    oneRuleset(body, "nfprom_set_element_bytes_total", SOURCES.elements, (_, i) => String(i)),
  ];
  const ok =
    value(body, 'nfprom_source_success{source="objects"}') === 1 &&
    value(body, 'nfprom_source_success{source="sets"}') === 1;
  const same = parts.every((p) => p === parts[0]);
  const ruleset = same && ok ? (parts[0] as string) : `sources ok=${ok}: ${parts.join(" | ")}`;
  return { up, ruleset, stale: (value(body, "nfprom_snapshot_age_seconds") ?? 0) > 0 };
}

/** judgeNonAtomic: a chain judged as judgeChain; up 0 only because the table really was missing. */
export function judgeNonAtomic(n: number): (body: string) => Verdict {
  return (body) => {
    const verdict = judgeChain(n)(body);
    if (verdict.up) return verdict;
    const reasons = series(body, "nfprom_read_errors_total").filter(([, v]) => v !== "0");
    const onlyNoTable = reasons.every(([l]) => l === 'reason="no_table"');
    return onlyNoTable ? verdict : { ...verdict, up: true, ruleset: `up 0 for ${JSON.stringify(reasons)}` };
  };
}
