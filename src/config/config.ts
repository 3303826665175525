import type { DuplicatePolicy } from "../labels/duplicates.js";
import type { PolicyOptions } from "../labels/policy.js";
import type { DerivedLabel } from "../labels/render.js";
import type { LogFormat, LogLevel } from "../log.js";
import type { FamilyName } from "../model/families.js";
import type { NamePattern } from "../model/pattern.js";

/** Config is everything the command line decides, validated. */
export interface Config {
  table: string;
  chain: string;
  family: FamilyName;
  /** -chains: several chains by pattern instead of -table/-chain; empty: the seed's one chain. */
  chainPatterns: NamePattern[];
  /**
   * The optional sources' selection flags (-counters, -quotas, -sets, -tables: each declared in its source's
   * folder, sources/), their patterns by flag name; a source is off while its flags select nothing.
   */
  selections: Record<string, NamePattern[]>;
  /** -netns: the network namespaces to read (names or globs under /run/netns, paths, `all`); empty: own. */
  netns: string[];
  /** -read.background-timeout: let a slow dump finish after the scrape and serve the last snapshot. */
  backgroundReadTimeoutMs: number | undefined;
  /** -read.skip-proof: read without proving reads whole (measurement only: reads can then be torn). */
  skipProof: boolean;
  /** -sets.max-elements: elements exported per set; the rest are counted as left out. */
  setMaxElements: number;
  /** Every address the web process listens on (--web.listen-address, repeatable). */
  listen: ListenAddress[];
  telemetryPath: string;
  /** exporter-toolkit web configuration (TLS, basic auth, headers); undefined: plain HTTP, no auth. */
  webConfigFile: string | undefined;
  /** Concurrent scrapes served at once; more get 503. 0: no limit. */
  maxRequests: number;
  namespace: string;
  jsonfile: string | undefined;
  headerTimeoutMs: number;
  readTimeoutMs: number;
  user: string;
  group: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** textfile: the file to write; undefined when not given. */
  output: string | undefined;
  /** textfile: rewrite every intervalMs until SIGTERM; undefined: write once and exit. */
  intervalMs: number | undefined;
  /** -rule-labels: labels derived from the rules' matches; empty: off (nothing decoded beyond counters). */
  ruleLabels: DerivedLabel[];
  /** -all-rules: also export counted rules without an nft(...) comment, with a `rule` label. */
  allRules: boolean;
  /** -duplicates: what to do with rules whose label sets are identical. */
  duplicates: DuplicatePolicy;
  /** -max-label-names: label names of the rule metrics at most (0: no limit). */
  maxLabelNames: number;
  /** -max-label-value-length: characters of a rule-derived label value at most (0: no limit). */
  maxLabelValueLength: number;
  /** check -input: `nft -j list ruleset` JSON from this file ("-": stdin) instead of the kernel. */
  input: string | undefined;
  /** check -format: text for people, json for scripts. */
  format: CheckFormat;
}

export const CHECK_FORMATS = ["text", "json"] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export interface ListenAddress {
  /** undefined: every address (":9830"). */
  host: string | undefined;
  port: number;
}

/** policyOptions: the label choices of the command line, for every Scraper (serve, dump, textfile). */
export function policyOptions(config: Config): PolicyOptions {
  return {
    allRules: config.allRules,
    duplicates: config.duplicates,
    maxLabelNames: config.maxLabelNames,
    maxLabelValueLength: config.maxLabelValueLength,
  };
}
