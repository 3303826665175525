import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  COMMANDS,
  type Command,
  FLAG_GROUPS,
  FLAGS,
  findFlag,
  helpHint,
  listen,
  parseArgs,
  UsageError,
  usage,
} from "../../../src/cli/flags.js";
import type { Config } from "../../../src/config/config.js";

const DEFAULTS: Config = {
  table: "firewall",
  chain: "accounting",
  family: "all",
  chainPatterns: [],
  selections: { counters: [], quotas: [], sets: [], tables: [] },
  netns: [],
  backgroundReadTimeoutMs: undefined,
  skipProof: false,
  setMaxElements: 10000,
  listen: [{ host: undefined, port: 9830 }],
  telemetryPath: "/metrics",
  webConfigFile: undefined,
  maxRequests: 40,
  namespace: "nfprom",
  jsonfile: undefined,
  headerTimeoutMs: 3000,
  readTimeoutMs: 10000,
  user: "nobody",
  group: "nogroup",
  logLevel: "info",
  logFormat: "logfmt",
  output: undefined,
  intervalMs: undefined,
  ruleLabels: [],
  allRules: false,
  duplicates: "sum",
  maxLabelNames: 64,
  maxLabelValueLength: 1024,
  input: undefined,
  format: "text",
};

function config(argv: string[]): Config {
  const r = parseArgs(argv);
  assert.equal(r.kind, "run");
  return (r as { kind: "run"; config: Config }).config;
}

function usageError(argv: string[], message: string | RegExp): void {
  assert.throws(
    () => parseArgs(argv),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, `not a UsageError: ${err}`);
      assert.equal(err.name, "UsageError");
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe("parseArgs", () => {
  test("defaults", () => assert.deepEqual(config([]), DEFAULTS));

  const forms: string[][] = [["-table", "t1"], ["-table=t1"], ["--table", "t1"], ["--table=t1"]];
  for (const argv of forms) {
    test(`flag form ${argv.join(" ")}`, () => assert.deepEqual(config(argv), { ...DEFAULTS, table: "t1" }));
  }

  test("every flag at once", () => {
    const got = config([
      "-chain",
      "acct",
      "--family=ip6",
      "-listen",
      "127.0.0.1:9100",
      "--namespace",
      "fw",
      "-jsonfile=/run/nfprom/x=y.json",
      "-timeout",
      "250ms",
      "--read-timeout=1m30s",
      "-u",
      "prometheus",
      "-g=prometheus",
      "-log.level",
      "debug",
    ]);
    assert.deepEqual(got, {
      ...DEFAULTS,
      chain: "acct",
      family: "ip6",
      listen: [{ host: "127.0.0.1", port: 9100 }],
      namespace: "fw",
      jsonfile: "/run/nfprom/x=y.json",
      headerTimeoutMs: 250,
      readTimeoutMs: 90_000,
      user: "prometheus",
      group: "prometheus",
      logLevel: "debug",
    });
  });

  test("-listen is an alias of the repeatable --web.listen-address", () => {
    assert.deepEqual(config(["-listen", ":1", "--web.listen-address=[::1]:2"]).listen, [
      { host: undefined, port: 1 },
      { host: "::1", port: 2 },
    ]);
  });

  test("an error names the flag as the user spelled it", () =>
    usageError(["-listen=9830"], /^invalid value "9830" for flag -listen: /));

  test("the last occurrence of a flag wins (Go flag package)", () => {
    assert.equal(config(["-table=a", "--table", "b"]).table, "b");
  });

  test("a value may start with a dash when given as the next argument", () => {
    assert.equal(config(["-table", "-x"]).table, "-x");
  });

  test("-jsonfile= (empty) turns the JSON file off", () =>
    assert.equal(config(["-jsonfile="]).jsonfile, undefined));

  const help: [string[], "help" | "version" | "run"][] = [
    [["-h"], "help"],
    [["--h"], "help"],
    [["-help"], "help"],
    [["--help"], "help"],
    [["-help=true"], "help"],
    [["-help=false"], "run"],
    [["-v"], "version"],
    [["--v"], "version"],
    [["-v=1"], "version"],
    [["-v=0"], "run"],
    [["-v", "-h"], "help"],
    [["-table=x", "-v"], "version"],
    [["--version"], "version"],
    [["check", "--version"], "version"],
    [["help"], "help"],
    [["help", "check"], "help"],
    [["check", "--help"], "help"],
    [["dump", "-h"], "help"],
  ];
  for (const [argv, kind] of help)
    test(`${argv.join(" ")} → ${kind}`, () => assert.equal(parseArgs(argv).kind, kind));

  test("help [command] and COMMAND --help name the command whose usage is wanted", () => {
    assert.deepEqual(parseArgs(["help"]), { kind: "help", command: "serve" });
    assert.deepEqual(parseArgs(["help", "textfile"]), { kind: "help", command: "textfile" });
    assert.deepEqual(parseArgs(["check", "--help"]), { kind: "help", command: "check" });
  });

  test("every old spelling still works and means its flag", () => {
    const values: Record<string, string> = {
      listen: "127.0.0.1:1",
      timeout: "7s",
      "read-timeout": "8s",
      u: "daemon",
      g: "daemon",
    };
    for (const f of FLAGS) {
      for (const alias of f.aliases ?? []) {
        assert.equal(findFlag(alias), f, alias);
        if (!f.arg) continue;
        const value = values[alias];
        assert.ok(value !== undefined, `no test value for -${alias}`);
        assert.deepEqual(config([`-${alias}`, value]), config([`--${f.name}=${value}`]), alias);
      }
    }
  });

  const bad: [string[], string | RegExp][] = [
    [["help", "bogus"], 'unknown command "bogus"'],
    [["help", "check", "x"], 'unexpected argument "x"'],
    [["check", "-listen=:1"], "flag -listen is for nfprom serve, not for nfprom check"],
    [["dump", "-output=x"], "flag -output is for nfprom textfile, not for nfprom dump"],
    [["-bogus"], "flag provided but not defined: -bogus"],
    [["--bogus=1"], "flag provided but not defined: -bogus"],
    [["---table=x"], "flag provided but not defined: --table"],
    [["-"], 'unexpected argument "-"'],
    [["--"], 'unexpected argument "--"'],
    [["-table=x", "stray"], 'unexpected argument "stray"'],
    [["-v", "true"], 'unexpected argument "true"'],
    [["-table"], "flag needs an argument: -table"],
    [["--listen"], "flag needs an argument: -listen"],
    [["-help=maybe"], 'invalid boolean value "maybe" for -help'],
    [["-table="], 'invalid value "" for flag -table: must not be empty'],
    [["-table", "a".repeat(256)], /^invalid value "a{256}" for flag -table: longer than 255 bytes$/],
    [["-chain", "€".repeat(86)], /for flag -chain: longer than 255 bytes$/],
    [["-chain=a\0b"], 'invalid value "a\0b" for flag -chain: contains NUL'],
    [["-timeout", "3"], 'invalid value "3" for flag -timeout: not a positive duration such as 3s or 500ms'],
    [["-timeout=0"], 'invalid value "0" for flag -timeout: not a positive duration such as 3s or 500ms'],
    [["-timeout=0s"], /for flag -timeout: not a positive duration/],
    [["-read-timeout=abc"], /^invalid value "abc" for flag -read-timeout:/],
    [
      ["-family=inet6"],
      'invalid value "inet6" for flag -family: not one of all, inet, ip, arp, netdev, bridge, ip6',
    ],
    [["-family=constructor"], /for flag -family: not one of/],
    [["-family=INET"], /for flag -family: not one of/],
    [["-namespace=1abc"], 'invalid value "1abc" for flag -namespace: not a valid metric name prefix'],
    [["-namespace=a-b"], /for flag -namespace: not a valid metric name prefix/],
    [["-namespace="], /for flag -namespace: not a valid metric name prefix/],
    [["-log.level=trace"], 'invalid value "trace" for flag -log.level: not one of debug, info, warn, error'],
    [["-listen=9830"], 'invalid value "9830" for flag -listen: expected host:port, :port or [ipv6]:port'],
    [["-listen=:99999"], 'invalid value ":99999" for flag -listen: port out of range'],
  ];
  for (const [argv, message] of bad)
    test(`usage error: ${JSON.stringify(argv)}`, () => usageError(argv, message));

  test("valid table name of 255 bytes", () =>
    assert.equal(config(["-table", "a".repeat(255)]).table.length, 255));
  test("namespace with underscores and colons", () =>
    assert.equal(config(["-namespace=my_ns:sub"]).namespace, "my_ns:sub"));

  test("a duration longer than a 32-bit millisecond timer is rejected", () => {
    // 1000h = 3.6e9 ms > 2^31-1: ReaderClient.read's setTimeout fires after 1 ms, every scrape says nfprom_up 0.
    usageError(["-read-timeout=1000h"], /for flag -read-timeout/);
    usageError(["-timeout=1000h"], /for flag -timeout/);
  });
});

describe("listen", () => {
  const good: [string, string | undefined, number][] = [
    [":9830", undefined, 9830],
    ["127.0.0.1:9830", "127.0.0.1", 9830],
    ["0.0.0.0:1", "0.0.0.0", 1],
    ["localhost:65535", "localhost", 65535],
    ["[::1]:9830", "::1", 9830],
    ["[::]:80", "::", 80],
    ["[fe80::1%eth0]:9830", "fe80::1%eth0", 9830],
    ["[::ffff:192.0.2.1]:9830", "::ffff:192.0.2.1", 9830],
  ];
  for (const [text, host, port] of good)
    test(`${text}`, () => assert.deepEqual(listen(text), { host, port }));

  const bad: [string, string][] = [
    ["", "expected host:port, :port or [ipv6]:port"],
    ["9830", "expected host:port, :port or [ipv6]:port"],
    ["127.0.0.1", "expected host:port, :port or [ipv6]:port"],
    [":", "expected host:port, :port or [ipv6]:port"],
    ["::1:9830", "expected host:port, :port or [ipv6]:port"],
    ["[::1]", "expected host:port, :port or [ipv6]:port"],
    ["[::1]:", "expected host:port, :port or [ipv6]:port"],
    ["[]:9830", "expected host:port, :port or [ipv6]:port"],
    [":port", "expected host:port, :port or [ipv6]:port"],
    [":-1", "expected host:port, :port or [ipv6]:port"],
    [":123456", "expected host:port, :port or [ipv6]:port"],
    [":65536", "port out of range"],
    [":99999", "port out of range"],
  ];
  for (const [text, message] of bad)
    test(`bad: ${JSON.stringify(text)}`, () => assert.throws(() => listen(text), { message }));
});

describe("usage", () => {
  test("groups the flags by purpose, each with its synopsis, default and old spellings", () => {
    const text = usage();
    assert.ok(text.startsWith("Usage: nfprom [command] [flags]\n"));
    assert.ok(text.endsWith("--flag value or --flag=value.\n"));
    assert.ok(
      text.includes(
        "\nWhat to read:\n  --table=STRING                    nftables table to read (default: firewall)\n",
      ),
    );
    assert.ok(
      text.includes(
        "  --web.listen-address=ADDRESS      host:port, :port or [ipv6]:port to listen on (default: :9830; repeatable;\n" +
          "                                    also -listen)\n",
      ),
    );
    assert.ok(text.includes("  --version                         print the version and exit (also -v)\n"));
    const all = (Object.keys(COMMANDS) as Command[]).map((c) => usage(c)).join("");
    for (const heading of Object.values(FLAG_GROUPS)) assert.ok(all.includes(`\n${heading}:\n`), heading);
    for (const line of text.split("\n")) assert.ok(line.length <= 110, `too long: ${line}`);
    assert.ok(!text.includes("default: )"), "empty defaults are not shown");
  });

  test("each command's usage lists exactly the flags it accepts", () => {
    for (const command of Object.keys(COMMANDS) as Command[]) {
      const text = usage(command);
      for (const f of FLAGS) {
        const accepted = !f.commands || f.commands.includes(command);
        assert.equal(text.includes(`  --${f.name}${f.arg ? "=" : " "}`), accepted, `${command}: --${f.name}`);
      }
    }
    assert.ok(usage("check").startsWith("Usage: nfprom check [flags]\n\ncheck the chain's rules"));
  });

  test("a usage error points at the help of its command", () => {
    assert.equal(helpHint("serve"), "see `nfprom --help`");
    assert.equal(helpHint("check"), "see `nfprom check --help`");
    for (const [argv, command] of [
      [["-bogus"], "serve"],
      [["check", "-bogus"], "check"],
      [["textfile", "-interval=x"], "textfile"],
    ] as [string[], Command][]) {
      assert.throws(
        () => parseArgs(argv),
        (err: unknown) => err instanceof UsageError && err.command === command,
      );
    }
  });
});
