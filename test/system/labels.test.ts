// Rule-derived labels, the label policy flags and `nfprom check` on the real kernel. Every derived label of
// every rule is compared with what `nft -j` says about the same rule (test/system/labels-oracle.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Netns, parseExposition, parseNftJson, requireRoot, runNfprom, startNfprom } from "./harness.js";
import { ALL_DERIVED, expectedLabels } from "./labels-oracle.js";

const CASES: [string, string][] = [
  ["v4host_dport", "ip daddr 203.0.113.140 tcp dport 22"],
  ["v4host_sport", "ip saddr 203.0.113.140 tcp sport 443"],
  ["v4prefix8", "ip saddr 10.0.0.0/8"],
  ["v4prefix12", "ip daddr 172.16.0.0/12"],
  ["v4prefix_port_range", "ip daddr 192.168.1.0/24 udp dport 1000-2000"],
  ["v4set_mixed", "ip saddr { 1.2.3.4, 5.6.7.0/24, 9.9.9.9 }"],
  ["v4_range", "ip daddr 10.1.1.1-10.1.1.5"],
  ["v6host", "ip6 daddr 2001:db8::1 tcp dport 80"],
  ["v6prefix", "ip6 saddr 2001:db8::/32"],
  ["v6prefix_odd", "ip6 daddr 2001:db8:8000::/33"],
  ["v6set", "ip6 daddr { 2001:db8::1, 2001:db8:1::/48 }"],
  ["portset", "tcp dport { 22, 80, 443 }"],
  ["portset_ranges", "udp sport { 53, 5000-6000 }"],
  ["port_lt", "tcp dport < 1024"],
  ["l4proto", "meta l4proto udp"],
  ["l4proto_set", "meta l4proto { tcp, udp }"],
  ["ip_protocol", "ip protocol icmp"],
  ["iifname", 'iifname "lo"'],
  ["oifname_wild", 'oifname "veth*"'],
  ["iifname_set", 'iifname { "eth0", "lo" }'],
  ["ct_state", "ct state established,related"],
  ["ct_state_new", "ct state new"],
  ["both_sides", "ip saddr 198.51.100.7 ip daddr 192.0.2.0/24"],
  ["negated", "ip saddr != 10.0.0.0/8 tcp dport != 22"],
];

const RULESET = [
  "table inet firewall {",
  "  chain accounting {",
  ...CASES.map(([name, match]) => `    ${match} counter comment "nft(case=${name})"`),
  "  }",
  "  chain input { type filter hook input priority filter; policy accept; jump accounting; }",
  "}",
  "table ip6 firewall {",
  '  chain accounting { ip6 saddr ::1 counter comment "nft(case=ip6family)"; }',
  "}",
  "",
].join("\n");

async function oracle(ns: Netns): Promise<Map<string, Record<string, string>>> {
  const doc = parseNftJson(await ns.nftCmd(["-j", "list", "ruleset"])) as {
    nftables: Record<string, unknown>[];
  };
  const out = new Map<string, Record<string, string>>();
  for (const item of doc.nftables) {
    const rule = item.rule as Record<string, unknown> | undefined;
    if (rule?.chain !== "accounting") continue;
    out.set(String(rule.comment).replace(/^nft\(case=(.*)\)$/, "$1"), expectedLabels(rule));
  }
  return out;
}

describe("system: rule-derived labels", () => {
  test("every derived label equals nft -j's reading of the same rule (IPv4, IPv6, prefixes, ranges, sets, interfaces)", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("labels", { t });
    await ns.nft(RULESET);
    const want = await oracle(ns);
    const r = await runNfprom(ns, ["dump", `--rule-labels=${ALL_DERIVED.join(",")}`]);
    assert.equal(r.code, 0, r.stderr);
    const samples = parseExposition(r.stdout).byName("nfprom_bytes_total");
    assert.equal(samples.length, CASES.length + 1);
    for (const s of samples) {
      const name = s.labels.case as string;
      const got = Object.fromEntries(ALL_DERIVED.map((n) => [n, s.labels[n] ?? ""]));
      assert.deepEqual(got, want.get(name), `case ${name}`);
    }
  });

  test("no flag: labels are exactly the comment keys; the exporter (serve) applies the flags like dump", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("labels-serve", { t });
    await ns.nft(RULESET);
    const plain = parseExposition((await runNfprom(ns, ["dump"])).stdout).byName("nfprom_bytes_total");
    assert.ok(plain.every((s) => Object.keys(s.labels).join() === "case"));
    const nfprom = await startNfprom(ns, ["--rule-labels=address,port", "-u", "nobody", "-g", "nogroup"]);
    const exp = parseExposition((await nfprom.scrape("/metrics")).body);
    assert.equal(
      exp.get("nfprom_bytes_total", { case: "v4host_dport", address: "203.0.113.140/32", port: "22" }),
      0n,
    );
    assert.equal(
      exp.get("nfprom_bytes_total", { case: "v6set", address: "2001:db8::1/128,2001:db8:1::/48", port: "" }),
      0n,
    );
    await nfprom.stop();
  });
});

describe("system: nfprom check", () => {
  const PROBLEMS = [
    "table inet firewall {",
    "  chain accounting {",
    '    tcp dport 22 counter comment "nft(svc=ssh;dir=in)"',
    '    tcp dport 22 counter comment "nft(svc=ssh;dir=in)"',
    '    tcp dport 80 counter comment "nft(svc=web)"',
    '    tcp dport 25 comment "nft(svc=smtp;dir=in)"',
    '    tcp dport 53 counter comment "nft(bad-key=1)"',
    '    tcp dport 443 counter comment "nft(svc=https;dir=in"',
    "    counter",
    "  }",
    "}",
    "",
  ].join("\n");

  test("kernel read and nft -j on stdin find the same problems; exit 1, JSON for scripts", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("check", { t });
    await ns.nft(PROBLEMS);
    const kernel = await runNfprom(ns, ["check", "--format", "json"]);
    assert.equal(kernel.code, 1, kernel.stderr);
    const json = await ns.nftCmd(["-j", "list", "ruleset"]);
    const stdin = await runNfprom(ns, ["check", "--input", "-", "--format", "json"], { input: json });
    assert.equal(stdin.code, 1, stdin.stderr);
    const a = JSON.parse(kernel.stdout);
    const b = JSON.parse(stdin.stdout);
    assert.deepEqual(a.findings, b.findings);
    assert.deepEqual(
      a.findings.map(
        (f: { severity: string; problem: string }) => `${f.severity}: ${f.problem.split(":")[0]}`,
      ),
      [
        "warning: same labels as rule 3",
        "warning: same labels as rule 2",
        "warning: keys {svc} differ from the other rules' {dir,svc}",
        "error: rule has no counter statement",
        'error: "bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
        "warning: comment is not nft(...)",
        "info: not exported",
      ],
    );
    const text = await runNfprom(ns, ["check"]);
    assert.match(
      text.stdout,
      /^handle 5: error: rule has no counter statement\n {4}comment: "nft\(svc=smtp;dir=in\)"$/m,
    );
    assert.match(text.stdout, /7 rules: 3 exported as 2 series, 2 ignored, 2 rejected/);
  });

  test("-counters/-quotas/-sets: malformed comments of objects and elements, the same from the kernel and nft -j", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("check-items", { t });
    await ns.nft(
      [
        "table inet firewall {",
        '  counter ok { comment "nft(svc=a)" }',
        '  counter twice { comment "nft(svc=a;svc=b)" }',
        '  quota q { over 1000 bytes; comment "nft(__x=1)"; }',
        '  set s { type ipv4_addr . inet_service; counter; elements = { 192.0.2.1 . 22 comment "nft(bad-key=1)", 192.0.2.2 . 80 } }',
        '  map m { type inet_service : verdict; counter; elements = { 53 comment "nft(x)" : accept } }',
        '  chain accounting { counter comment "nft(a=1)"; }',
        "}",
        "",
      ].join("\n"),
    );
    const flags = ["-counters", "firewall/*", "-quotas", "firewall/*", "-sets", "firewall/*"];
    const kernel = await runNfprom(ns, ["check", ...flags, "--format", "json"]);
    assert.equal(kernel.code, 1, kernel.stderr);
    const json = await ns.nftCmd(["-j", "list", "ruleset"]);
    const stdin = await runNfprom(ns, ["check", "--input", "-", ...flags, "--format", "json"], {
      input: json,
    });
    const [a, b] = [JSON.parse(kernel.stdout), JSON.parse(stdin.stdout)];
    assert.deepEqual(a.findings, b.findings);
    assert.equal(a.items, 6);
    assert.equal(b.items, 6);
    assert.deepEqual(
      a.findings.map((f: { item: string; problem: string }) => `${f.item}: ${f.problem.split(";")[0]}`),
      [
        'counter inet/firewall/twice: key "svc" given twice',
        'quota inet/firewall/q: "__x" uses the prefix __, reserved by Prometheus',
        'element 192.0.2.1 . 22 of set inet/firewall/s: "bad-key" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)',
        'element 53 of set inet/firewall/m: "x" is not key=value',
      ],
    );
    // Without the selection flags, check looks at the chain only, as before.
    assert.equal((await runNfprom(ns, ["check"])).code, 0);
  });

  test("a clean chain exits 0; a bad flag exits 2", async (t) => {
    if (!requireRoot(t)) return;
    const ns = await Netns.create("check-clean", { t });
    await ns.nft('table inet firewall { chain accounting { counter comment "nft(a=1)"; }; }\n');
    assert.equal((await runNfprom(ns, ["check"])).code, 0);
    assert.equal((await runNfprom(ns, ["check", "--duplicates=maybe"])).code, 2);
  });
});
