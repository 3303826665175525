/** The benchmark's ruleset: one regular chain of N counting rules with distinct nft(...) comments. */

export const BENCH_FAMILY = "inet";
export const BENCH_TABLE = "nfbench";
export const BENCH_CHAIN = "acct";
/** The exporter's flags that select the bench chain. */
export const BENCH_CHAIN_FLAGS = ["-table", BENCH_TABLE, "-chain", BENCH_CHAIN, "-family", BENCH_FAMILY];

const SERVICES = ["ssh", "http", "https", "dns", "smtp", "imap", "ntp", "ldap", "mysql", "postgres"];

/**
 * rulesetText returns an `nft -f` file that atomically replaces the bench table (add + delete + define, one
 * transaction) with a chain of n rules:
 *   ip daddr 10.x.y.z tcp dport P counter packets A bytes B comment "nft(i=<n>;svc=<name>)"
 * Counters are preset (some above 2^53) so decoding and printing do real u64 work.
 */
export function rulesetText(n: number): string {
  const lines: string[] = [
    `add table ${BENCH_FAMILY} ${BENCH_TABLE}`,
    `delete table ${BENCH_FAMILY} ${BENCH_TABLE}`,
    `table ${BENCH_FAMILY} ${BENCH_TABLE} {`,
    `\tchain ${BENCH_CHAIN} {`,
  ];
  for (let i = 0; i < n; i++) {
    const addr = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const port = 1 + (i % 65535);
    const packets = BigInt(i) * 7n + 1n;
    const bytes = i % 10 === 0 ? 2n ** 53n + BigInt(i) : packets * 1000n + BigInt(i);
    const svc = SERVICES[i % SERVICES.length];
    lines.push(
      `\t\tip daddr ${addr} tcp dport ${port} counter packets ${packets} bytes ${bytes} comment "nft(i=${i};svc=${svc})"`,
    );
  }
  lines.push("\t}", "}", "");
  return lines.join("\n");
}
