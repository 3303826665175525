import { CHECK_FORMATS, type Config } from "../config/config.js";
import { DUPLICATE_POLICIES } from "../labels/duplicates.js";
import { DEFAULT_MAX_LABEL_NAMES, DEFAULT_MAX_LABEL_VALUE_LENGTH } from "../labels/policy.js";
import { DERIVED_LABELS } from "../labels/render.js";
import { LOG_FORMATS, LOG_LEVELS } from "../log.js";
import { parsePattern } from "../model/pattern.js";
import { FAMILIES } from "../nftables/constants.js";
import type { SelectionFlag } from "../sources/slice.js";
import { SELECTION_FLAGS } from "../sources/slices.js";
import {
  family,
  listen,
  metricPrefix,
  netnsSelector,
  nftName,
  nonNegativeInt,
  oneOf,
  positiveDuration,
  ruleLabels,
  telemetryPath,
} from "./values.js";

export { listen } from "./values.js";

/** UsageError: a bad command line. The CLI prints it and where to find the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The command whose usage applies (whose --help to point at). */
  command: Command = "serve";
}

/** The subcommands; `serve` (the exporter) is the default when the first argument is a flag. */
export const COMMANDS = {
  serve: "run the exporter: the privileged reader and the unprivileged web process (default)",
  dump: "read the chain once, print the exposition to stdout and exit (no web process, no socket)",
  textfile: "write the exposition atomically to -output for node_exporter's textfile collector",
  check: `check the chain's rules (and the comments ${SELECTION_FLAGS.map((f) => `-${f.name}`).join(", ")} select) against the label policy; exit 0 clean, 1 problems, 2 usage`,
} as const;
export type Command = keyof typeof COMMANDS;

/**
 * The headings of --help and of the flag reference, in their order. Flag names follow one scheme:
 * lowercase words joined by "-", after a "group." prefix where a flag belongs to a part of nfprom (web.,
 * log., read., sets.); older spellings stay accepted as aliases.
 */
export const FLAG_GROUPS = {
  source: "What to read",
  labels: "Labels and metric names",
  web: "Web server",
  output: "Output files",
  check: "Checking",
  log: "Logging",
  general: "General",
} as const;
export type FlagGroup = keyof typeof FLAG_GROUPS;

export interface FlagSpec {
  /** Canonical name; accepted as -name, --name, -name=value, --name=value. */
  name: string;
  /** Older spellings that stay accepted (the Go seed's -listen, -u, -g, -timeout). */
  aliases?: readonly string[];
  group: FlagGroup;
  /** May be given several times; the parsed values form an array (the default when none is given). */
  repeatable?: true;
  /** Commands that accept the flag; undefined: every command. */
  commands?: readonly Command[];
  /** Where its value goes; "selections": an optional source's flag, under its name (selectionFlag). */
  key: keyof Config | "help" | "version";
  arg?: string;
  default?: string;
  help: string;
  parse?: (value: string) => unknown;
}

/** FLAGS is the one table that drives parsing, --help, the man page and docs/flags.md (`npm run docs`). */
export const FLAGS: FlagSpec[] = [
  {
    name: "table",
    group: "source",
    key: "table",
    arg: "string",
    default: "firewall",
    help: "nftables table to read",
    parse: nftName,
  },
  {
    name: "chain",
    group: "source",
    key: "chain",
    arg: "string",
    default: "accounting",
    help: "nftables chain to read",
    parse: nftName,
  },
  {
    name: "family",
    group: "source",
    key: "family",
    arg: "string",
    default: "all",
    help: `family of the table: ${Object.keys(FAMILIES).join(", ")} (all: the table name in every family)`,
    parse: family,
  },
  {
    name: "chains",
    group: "source",
    repeatable: true,
    key: "chainPatterns",
    arg: "[family/]table/chain",
    default: "",
    help: "read every chain matching this glob (* and ?) instead of -table/-chain; series then carry family, table and chain labels",
    parse: parsePattern,
  },
  ...SELECTION_FLAGS.map(selectionFlag),
  {
    name: "netns",
    group: "source",
    repeatable: true,
    commands: ["serve", "dump", "textfile"],
    key: "netns",
    arg: "name|glob|path|all",
    default: "",
    help: "read in these network namespaces instead of nfprom's own: a name or glob (* and ?) under /run/netns, a path (/proc/PID/ns/net, a bind mount), or all (every name under /run/netns); series then carry a netns label; needs CAP_SYS_ADMIN (docs/namespaces.md)",
    parse: netnsSelector,
  },
  {
    name: "read.background-timeout",
    group: "source",
    key: "backgroundReadTimeoutMs",
    arg: "duration",
    default: "",
    help: "let a dump that misses the scrape deadline run on for up to this long and serve the last complete snapshot meanwhile (nfprom_snapshot_age_seconds); empty: off",
    parse: (v) => (v === "" ? undefined : positiveDuration(v)),
  },
  {
    name: "read.skip-proof",
    group: "source",
    key: "skipProof",
    help: "for measurements only: skip the proof that a read saw one committed ruleset (two generation reads and two empty transactions per read); reads can then be partial while the ruleset is reloaded",
  },
  {
    name: "sets.max-elements",
    group: "source",
    key: "setMaxElements",
    arg: "int",
    default: "10000",
    help: "elements exported per set; the rest are only counted (nfprom_set_elements_left_out)",
    parse: nonNegativeInt,
  },
  {
    name: "web.listen-address",
    group: "web",
    aliases: ["listen"],
    repeatable: true,
    commands: ["serve"],
    key: "listen",
    arg: "address",
    default: ":9830",
    help: "host:port, :port or [ipv6]:port to listen on",
    parse: listen,
  },
  {
    name: "web.telemetry-path",
    group: "web",
    commands: ["serve"],
    key: "telemetryPath",
    arg: "path",
    default: "/metrics",
    help: "path under which the metrics are served",
    parse: telemetryPath,
  },
  {
    name: "web.config.file",
    group: "web",
    commands: ["serve"],
    key: "webConfigFile",
    arg: "path",
    default: "",
    help: "exporter-toolkit web config (TLS, basic auth, headers); re-read on SIGHUP; empty: plain HTTP",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "web.max-requests",
    group: "web",
    commands: ["serve"],
    key: "maxRequests",
    arg: "int",
    default: "40",
    help: "concurrent scrapes served at once, more get HTTP 503; 0: no limit",
    parse: nonNegativeInt,
  },
  {
    name: "output",
    group: "output",
    commands: ["textfile"],
    key: "output",
    arg: "path",
    default: "",
    help: "file to write (name it *.prom in node_exporter's --collector.textfile.directory); required",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "interval",
    group: "output",
    commands: ["textfile"],
    key: "intervalMs",
    arg: "duration",
    default: "",
    help: "rewrite the file this often until SIGTERM; empty: write once and exit",
    parse: (v) => (v === "" ? undefined : positiveDuration(v)),
  },
  {
    name: "namespace",
    group: "labels",
    key: "namespace",
    arg: "string",
    default: "nfprom",
    help: "prefix of every metric name",
    parse: metricPrefix,
  },
  {
    name: "jsonfile",
    group: "output",
    commands: ["serve"],
    key: "jsonfile",
    arg: "path",
    default: "",
    help: "also write each snapshot to this JSON file in the Go tool's format (atomically, mode 0640, group --web.group); empty: off",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "web.header-timeout",
    aliases: ["timeout"],
    group: "web",
    commands: ["serve"],
    key: "headerTimeoutMs",
    arg: "duration",
    default: "3s",
    help: "time a client has to send its request headers; slower clients are disconnected",
    parse: positiveDuration,
  },
  {
    name: "read.timeout",
    aliases: ["read-timeout"],
    group: "source",
    key: "readTimeoutMs",
    arg: "duration",
    default: "10s",
    help: "longest time one read of the chain may take before the scrape reports nfprom_up 0 (a Prometheus scrape timeout shortens it)",
    parse: positiveDuration,
  },
  {
    name: "web.user",
    aliases: ["u"],
    group: "web",
    commands: ["serve"],
    key: "user",
    arg: "user",
    default: "nobody",
    help: "user (name or UID) the web process runs as",
  },
  {
    name: "web.group",
    aliases: ["g"],
    group: "web",
    commands: ["serve"],
    key: "group",
    arg: "group",
    default: "nogroup",
    help: "group (name or GID) the web process runs as",
  },
  {
    name: "log.level",
    group: "log",
    key: "logLevel",
    arg: "level",
    default: "info",
    help: `only log messages at or above this level: ${LOG_LEVELS.join(", ")}; logs go to stderr`,
    parse: (v) => oneOf(v, LOG_LEVELS),
  },
  {
    name: "log.format",
    group: "log",
    key: "logFormat",
    arg: "format",
    default: "logfmt",
    help: `format of log lines: ${LOG_FORMATS.join(", ")}`,
    parse: (v) => oneOf(v, LOG_FORMATS),
  },
  {
    name: "rule-labels",
    group: "labels",
    key: "ruleLabels",
    arg: "list",
    default: "",
    help: `comma-separated labels derived from each rule's matches: ${Object.keys(DERIVED_LABELS).join(", ")}; a comment key of the same name wins (see docs/labels.md)`,
    parse: ruleLabels,
  },
  {
    name: "all-rules",
    group: "labels",
    key: "allRules",
    help: "also export rules with a counter but no nft(...) comment, labelled rule=<comment or #position>",
  },
  {
    name: "duplicates",
    group: "labels",
    key: "duplicates",
    arg: "policy",
    default: "sum",
    help: `rules with identical label sets: ${DUPLICATE_POLICIES.join(", ")} (handle: add a handle label; error: do not export them)`,
    parse: (v) => oneOf(v, DUPLICATE_POLICIES),
  },
  {
    name: "max-label-names",
    group: "labels",
    key: "maxLabelNames",
    arg: "int",
    default: String(DEFAULT_MAX_LABEL_NAMES),
    help: "label names of the rule metrics at most; a rule using a name beyond the most used ones is rejected; 0: no limit",
    parse: nonNegativeInt,
  },
  {
    name: "max-label-value-length",
    group: "labels",
    key: "maxLabelValueLength",
    arg: "int",
    default: String(DEFAULT_MAX_LABEL_VALUE_LENGTH),
    help: "characters of a -rule-labels value at most; a longer one is exported empty; 0: no limit",
    parse: nonNegativeInt,
  },
  {
    name: "input",
    group: "check",
    commands: ["check"],
    key: "input",
    arg: "file",
    default: "",
    help: "read `nft -j list ruleset` output from this file (- for stdin) instead of the kernel; needs no privileges",
    parse: (v) => (v === "" ? undefined : v),
  },
  {
    name: "format",
    group: "check",
    commands: ["check"],
    key: "format",
    arg: "format",
    default: "text",
    help: `report format: ${CHECK_FORMATS.join(", ")}`,
    parse: (v) => oneOf(v, CHECK_FORMATS),
  },
  { name: "version", aliases: ["v"], group: "general", key: "version", help: "print the version and exit" },
  { name: "help", aliases: ["h"], group: "general", key: "help", help: "print this help and exit" },
];

/** selectionFlag: an optional source's selection flag (sources/) as a row of FLAGS. */
function selectionFlag({ name, arg, help, parse }: SelectionFlag): FlagSpec {
  return { name, group: "source", repeatable: true, key: "selections", arg, default: "", help, parse };
}

export type ParseResult =
  | { kind: "run"; command: Command; config: Config }
  | { kind: "help"; command: Command }
  | { kind: "version" };

/**
 * parseArgs accepts Go-style (`-flag value`, `-flag=value`) and GNU-style (`--flag value`) flags, after
 * an optional command; `help [command]` asks for a command's usage. Throws UsageError on an unknown command
 * or flag, a flag of another command, a missing or bad value, or a stray argument.
 */
export function parseArgs(args: readonly string[]): ParseResult {
  const first = args[0];
  if (first === "help") {
    const command = args[1] ?? "serve";
    if (!isCommand(command)) throw new UsageError(`unknown command "${command}"`);
    if (args.length > 2) throw new UsageError(`unexpected argument "${args[2]}"`);
    return { kind: "help", command };
  }
  if (first === undefined || first.startsWith("-")) return parseFlags("serve", args);
  if (!isCommand(first)) throw new UsageError(`unknown command "${first}"`);
  try {
    return parseFlags(first, args.slice(1));
  } catch (err) {
    if (err instanceof UsageError) err.command = first;
    throw err;
  }
}

function isCommand(name: string): name is Command {
  return Object.hasOwn(COMMANDS, name);
}

/** findFlag looks a flag up by any of its spellings. */
export function findFlag(name: string): FlagSpec | undefined {
  return FLAGS.find((f) => f.name === name || f.aliases?.includes(name));
}

function parseFlags(command: Command, argv: readonly string[]): ParseResult {
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
    const spec = findFlag(name);
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    if (spec.commands && !spec.commands.includes(command)) {
      const where = spec.commands.map((c) => `nfprom ${c}`).join(", ");
      throw new UsageError(`flag -${name} is for ${where}, not for nfprom ${command}`);
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

  const selections: Record<string, unknown> = {};
  const config: Record<string, unknown> = { selections };
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
    if (spec.key === "selections") selections[spec.name] = parsed;
    else config[spec.key] = spec.repeatable ? parsed : parsed[0];
  }
  return { kind: "run", command, config: config as unknown as Config };
}

/** helpHint: the line after a usage error, naming the help that applies. */
export function helpHint(command: Command): string {
  return `see \`nfprom ${command === "serve" ? "" : `${command} `}--help\``;
}

/** commandFlags: the flags `command` accepts, in table order. */
export function commandFlags(command: Command): FlagSpec[] {
  return FLAGS.filter((f) => !f.commands || f.commands.includes(command));
}

/** flagSynopsis: how a flag is written in help and docs: `--name=ARG`. */
export function flagSynopsis(f: FlagSpec): string {
  return `--${f.name}${f.arg ? `=${f.arg.toUpperCase()}` : ""}`;
}

/** flagDetails: the flag's help with its default, repeatability and old spellings. */
export function flagDetails(f: FlagSpec): string {
  const notes = [
    f.arg && f.default ? `default: ${f.default}` : "",
    f.repeatable ? "repeatable" : "",
    f.aliases ? `also ${f.aliases.map((a) => `-${a}`).join(", ")}` : "",
  ].filter((n) => n !== "");
  return notes.length > 0 ? `${f.help} (${notes.join("; ")})` : f.help;
}

const HELP_WIDTH = 110;
const SYNOPSIS_WIDTH = 34;

/**
 * usage renders a command's help from FLAGS, grouped by purpose with defaults, in the layout of
 * node_exporter's --help: synopsis, then the wrapped description beside it.
 */
export function usage(command: Command = "serve"): string {
  const lines =
    command === "serve"
      ? ["Usage: nfprom [command] [flags]", "", "Commands:"]
      : [`Usage: nfprom ${command} [flags]`, "", ...wrap("", COMMANDS[command], 0)];
  if (command === "serve") {
    for (const [name, summary] of Object.entries(COMMANDS)) lines.push(...wrap(`  ${name}`, summary, 12));
    lines.push("", "`nfprom help COMMAND` or `nfprom COMMAND --help` shows the flags of a command.");
  }
  const flags = commandFlags(command);
  for (const [group, heading] of Object.entries(FLAG_GROUPS)) {
    const members = flags.filter((f) => f.group === group);
    if (members.length === 0) continue;
    lines.push("", `${heading}:`);
    for (const f of members) lines.push(...wrap(`  ${flagSynopsis(f)}`, flagDetails(f)));
  }
  lines.push("", "Flags may be written -flag value, -flag=value, --flag value or --flag=value.");
  return `${lines.join("\n")}\n`;
}

/**
 * wrap puts `text` in a column `column` wide beside `lead` (below it when lead is wider), wrapped to
 * HELP_WIDTH characters.
 */
function wrap(lead: string, text: string, column = SYNOPSIS_WIDTH + 2): string[] {
  const indent = " ".repeat(column);
  const lines: string[] = [];
  let line = lead === "" || lead.length + 2 <= column ? lead.padEnd(column) : `${lead}\n${indent}`;
  let empty = true;
  for (const word of text.split(" ")) {
    const width = line.length - line.lastIndexOf("\n") - 1;
    if (!empty && width + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.flatMap((l) => l.split("\n"));
}

function parseBool(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new UsageError(`invalid boolean value "${value}" for -${name}`);
}
