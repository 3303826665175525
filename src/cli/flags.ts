import { DUPLICATE_POLICIES, type DuplicatePolicy } from "../labels/duplicates.js";
import { DEFAULT_MAX_LABEL_NAMES, DEFAULT_MAX_LABEL_VALUE_LENGTH } from "../labels/policy.js";
import { DERIVED_LABELS, type DerivedLabel } from "../labels/render.js";
import { type NamePattern, parsePattern } from "../model/pattern.js";
import { FAMILIES, type FamilyName } from "../nftables/constants.js";
import {
  family,
  listen,
  metricPrefix,
  nftName,
  nonNegativeInt,
  oneOf,
  positiveDuration,
  ruleLabels,
  telemetryPath,
} from "./values.js";

export { listen } from "./values.js";

/** Config is everything the command line decides, validated. */
export interface Config {
  table: string;
  chain: string;
  family: FamilyName;
  /** -chains: several chains by pattern instead of -table/-chain; empty: the seed's one chain. */
  chainPatterns: NamePattern[];
  /** -counters, -quotas, -sets: optional sources, off while empty. */
  counterPatterns: NamePattern[];
  quotaPatterns: NamePattern[];
  setPatterns: NamePattern[];
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

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["logfmt", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** UsageError: a bad command line. The CLI prints it with the usage text and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The subcommands; `serve` (the exporter) is the default when the first argument is a flag. */
export const COMMANDS = {
  serve: "run the exporter: the privileged reader and the unprivileged web process (default)",
  dump: "read the chain once, print the exposition to stdout and exit (no web process, no socket)",
  textfile: "write the exposition atomically to -output for node_exporter's textfile collector",
  check:
    "check the chain's rules (and the comments -counters, -quotas, -sets select) against the label policy; exit 0 clean, 1 problems, 2 usage",
} as const;
export type Command = keyof typeof COMMANDS;

interface FlagSpec {
  /** Canonical name; accepted as -name, --name, -name=value, --name=value. */
  name: string;
  /** Older spellings that stay accepted (the Go seed's -listen). */
  aliases?: readonly string[];
  /** May be given several times; the parsed values form an array (the default when none is given). */
  repeatable?: true;
  /** Commands that accept the flag; undefined: every command. */
  commands?: readonly Command[];
  key: keyof Config | "help" | "version";
  arg?: string;
  default?: string;
  help: string;
  parse?: (value: string) => unknown;
}

/** FLAGS is the one table that drives parsing, --help and the README's flag reference. */
export const FLAGS: FlagSpec[] = [
  {
    name: "table",
    key: "table",
    arg: "string",
    default: "firewall",
    help: "nftables table to read",
    parse: nftName,
  },
  {
    name: "chain",
    key: "chain",
    arg: "string",
    default: "accounting",
    help: "nftables chain to read",
    parse: nftName,
  },
  {
    name: "family",
    key: "family",
    arg: "string",
    default: "all",
    help: `family of the table: ${Object.keys(FAMILIES).join(", ")} (all: the table name in every family)`,
    parse: family,
  },
  {
    name: "chains",
    repeatable: true,
    key: "chainPatterns",
    arg: "[family/]table/chain",
    default: "",
    help: "read every chain matching this glob (* and ?) instead of -table/-chain; repeat for more; series then carry family, table and chain labels",
    parse: parsePattern,
  },
  {
    name: "counters",
    repeatable: true,
    key: "counterPatterns",
    arg: "[family/]table/name",
    default: "",
    help: "export the named counters matching this glob (e.g. firewall/*); repeat for more",
    parse: parsePattern,
  },
  {
    name: "quotas",
    repeatable: true,
    key: "quotaPatterns",
    arg: "[family/]table/name",
    default: "",
    help: "export the quotas matching this glob; repeat for more",
    parse: parsePattern,
  },
  {
    name: "sets",
    repeatable: true,
    key: "setPatterns",
    arg: "[family/]table/set",
    default: "",
    help: "export per-element counters of the sets and maps matching this glob (declared with counter); repeat for more",
    parse: parsePattern,
  },
  {
    name: "read.background-timeout",
    key: "backgroundReadTimeoutMs",
    arg: "duration",
    default: "",
    help: "let a dump that misses the scrape deadline run on for up to this long and serve the last complete snapshot meanwhile (nfprom_snapshot_age_seconds); empty: off",
    parse: (v) => (v === "" ? undefined : positiveDuration(v)),
  },
  {
    name: "read.skip-proof",
    key: "skipProof",
    help: "for measurements only: skip the proof that a read saw one committed ruleset (two generation reads and two empty transactions per read); reads can then be partial while the ruleset is reloaded",
  },
  {
    name: "sets.max-elements",
    key: "setMaxElements",
    arg: "int",
    default: "10000",
    help: "elements exported per set; the rest are only counted (nfprom_set_elements_left_out)",
    parse: nonNegativeInt,
  },
  {
    name: "web.listen-address",
    aliases: ["listen"],
    repeatable: true,
    commands: ["serve"],
    key: "listen",
    arg: "address",
    default: ":9830",
    help: "host:port, :port or [ipv6]:port to listen on; repeat the flag for several addresses",
    parse: listen,
  },
  {
    name: "web.telemetry-path",
    commands: ["serve"],
    key: "telemetryPath",
    arg: "path",
    default: "/metrics",
    help: "path under which the metrics are served",
    parse: telemetryPath,
  },
  {
    name: "web.config.file",
    commands: ["serve"],
    key: "webConfigFile",
    arg: "path",
    default: "",
    help: "exporter-toolkit web config (TLS, basic auth, headers); re-read on SIGHUP; empty: plain HTTP",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "web.max-requests",
    commands: ["serve"],
    key: "maxRequests",
    arg: "int",
    default: "40",
    help: "concurrent scrapes served at once, more get HTTP 503; 0: no limit",
    parse: nonNegativeInt,
  },
  {
    name: "output",
    commands: ["textfile"],
    key: "output",
    arg: "path",
    default: "",
    help: "file to write (name it *.prom in node_exporter's --collector.textfile.directory); required",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "interval",
    commands: ["textfile"],
    key: "intervalMs",
    arg: "duration",
    default: "",
    help: "rewrite the file this often until SIGTERM; empty: write once and exit",
    parse: (v) => (v === "" ? undefined : positiveDuration(v)),
  },
  {
    name: "namespace",
    key: "namespace",
    arg: "string",
    default: "nfprom",
    help: "prefix of every metric name",
    parse: metricPrefix,
  },
  {
    name: "jsonfile",
    commands: ["serve"],
    key: "jsonfile",
    arg: "path",
    default: "",
    help: "also write each snapshot to this JSON file (atomically, mode 0640, group -g); empty: off",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "timeout",
    commands: ["serve"],
    key: "headerTimeoutMs",
    arg: "duration",
    default: "3s",
    help: "time a client has to send its request headers",
    parse: positiveDuration,
  },
  {
    name: "read-timeout",
    key: "readTimeoutMs",
    arg: "duration",
    default: "10s",
    help: "longest time one read of the chain may take before the scrape reports nfprom_up 0",
    parse: positiveDuration,
  },
  {
    name: "u",
    commands: ["serve"],
    key: "user",
    arg: "user",
    default: "nobody",
    help: "user (name or UID) the web process runs as",
  },
  {
    name: "g",
    commands: ["serve"],
    key: "group",
    arg: "group",
    default: "nogroup",
    help: "group (name or GID) the web process runs as",
  },
  {
    name: "log.level",
    key: "logLevel",
    arg: "level",
    default: "info",
    help: `only log messages at or above this level: ${LOG_LEVELS.join(", ")}`,
    parse: (v) => oneOf(v, LOG_LEVELS),
  },
  {
    name: "log.format",
    key: "logFormat",
    arg: "format",
    default: "logfmt",
    help: `format of log lines: ${LOG_FORMATS.join(", ")}`,
    parse: (v) => oneOf(v, LOG_FORMATS),
  },
  {
    name: "rule-labels",
    key: "ruleLabels",
    arg: "list",
    default: "",
    help: `comma-separated labels derived from each rule's matches: ${Object.keys(DERIVED_LABELS).join(", ")}; a comment key of the same name wins (see README, Labels)`,
    parse: ruleLabels,
  },
  {
    name: "all-rules",
    key: "allRules",
    help: "also export rules with a counter but no nft(...) comment, labelled rule=<comment or #position>",
  },
  {
    name: "duplicates",
    key: "duplicates",
    arg: "policy",
    default: "sum",
    help: `rules with identical label sets: ${DUPLICATE_POLICIES.join(", ")} (handle: add a handle label; error: do not export them)`,
    parse: (v) => oneOf(v, DUPLICATE_POLICIES),
  },
  {
    name: "max-label-names",
    key: "maxLabelNames",
    arg: "int",
    default: String(DEFAULT_MAX_LABEL_NAMES),
    help: "label names of the rule metrics at most; a rule using a name beyond the most used ones is rejected; 0: no limit",
    parse: nonNegativeInt,
  },
  {
    name: "max-label-value-length",
    key: "maxLabelValueLength",
    arg: "int",
    default: String(DEFAULT_MAX_LABEL_VALUE_LENGTH),
    help: "characters of a -rule-labels value at most; a longer one is exported empty; 0: no limit",
    parse: nonNegativeInt,
  },
  {
    name: "input",
    commands: ["check"],
    key: "input",
    arg: "file",
    default: "",
    help: "read `nft -j list ruleset` output from this file (- for stdin) instead of the kernel; needs no privileges",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "format",
    commands: ["check"],
    key: "format",
    arg: "format",
    default: "text",
    help: `report format: ${CHECK_FORMATS.join(", ")}`,
    parse: (v) => oneOf(v, CHECK_FORMATS),
  },
  { name: "v", key: "version", help: "print the version and exit" },
  { name: "help", key: "help", help: "print this help and exit" },
];

export type ParseResult =
  | { kind: "run"; command: Command; config: Config }
  | { kind: "help"; command: Command }
  | { kind: "version" };

/**
 * parseArgs accepts Go-style (`-flag value`, `-flag=value`) and GNU-style (`--flag value`) flags.
 * Throws UsageError on an unknown flag, a missing or bad value, or a stray argument.
 */
export function parseArgs(args: readonly string[]): ParseResult {
  let command: Command = "serve";
  let argv = args;
  const first = args[0];
  if (first !== undefined && !first.startsWith("-")) {
    if (!Object.hasOwn(COMMANDS, first)) throw new UsageError(`unknown command "${first}"`);
    command = first as Command;
    argv = args.slice(1);
  }
  const values = new Map<FlagSpec, string[]>();
  /** The spelling the user typed (-listen or -web.listen-address), for error messages. */
  const typed = new Map<FlagSpec, string>();
  const switches = new Map<FlagSpec, boolean>();
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m || arg === "-" || arg === "--") throw new UsageError(`unexpected argument "${arg}"`);
    const name = m[1] as string;
    const spec =
      name === "h"
        ? FLAGS.find((f) => f.key === "help")
        : FLAGS.find((f) => f.name === name || f.aliases?.includes(name));
    if (!spec || (spec.commands && !spec.commands.includes(command))) {
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
    if (!spec.arg) {
      const on = parseBool(name, m[2]);
      if (spec.key === "help") help ||= on;
      else if (spec.key === "version") version ||= on;
      else switches.set(spec, on);
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = argv[++i] as string;
    }
    typed.set(spec, name);
    // A repeatable flag collects every value; any other flag keeps the last, as Go's flag package does.
    values.set(spec, spec.repeatable ? [...(values.get(spec) ?? []), value] : [value]);
  }
  if (help) return { kind: "help", command };
  if (version) return { kind: "version" };

  const config: Record<string, unknown> = {};
  for (const spec of FLAGS) {
    if (!spec.arg) {
      if (spec.key !== "help" && spec.key !== "version") config[spec.key] = switches.get(spec) ?? false;
      continue;
    }
    // A repeatable flag with an empty default (a selection) means "none" when not given.
    const none = spec.repeatable && spec.default === "";
    const texts = values.get(spec) ?? (none ? [] : [spec.default ?? ""]);
    const parsed = texts.map((text) => {
      try {
        return spec.parse ? spec.parse(text) : text;
      } catch (err) {
        const flag = typed.get(spec) ?? spec.name;
        throw new UsageError(`invalid value "${text}" for flag -${flag}: ${(err as Error).message}`);
      }
    });
    config[spec.key] = spec.repeatable ? parsed : parsed[0];
  }
  return { kind: "run", command, config: config as unknown as Config };
}

/** usage renders the help text from FLAGS, in the Go flag package's layout the seed's users know. */
export function usage(command: Command = "serve"): string {
  const lines = [`Usage: nfprom ${command === "serve" ? "[command]" : command} [flags]`, ""];
  if (command === "serve") {
    lines.push("Commands:");
    for (const [name, summary] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)}${summary}`);
    lines.push("", "Flags:");
  }
  for (const f of FLAGS) {
    if (f.commands && !f.commands.includes(command)) continue;
    lines.push(`  -${f.name}${f.arg ? ` ${f.arg}` : ""}`);
    const dflt = f.arg && f.default !== undefined && f.default !== "" ? ` (default "${f.default}")` : "";
    const also = f.aliases ? ` (alias ${f.aliases.map((a) => `-${a}`).join(", ")})` : "";
    lines.push(`        ${f.help}${dflt}${also}`);
  }
  lines.push("", "Flags may be written -flag value, -flag=value, --flag value or --flag=value.");
  return `${lines.join("\n")}\n`;
}

function parseBool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new UsageError(`invalid boolean value "${value}" for -${name}`);
}
