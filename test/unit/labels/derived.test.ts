import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatAddress, formatAddressRange } from "../../../src/labels/addr.js";
import { interpretRule, prefixBits } from "../../../src/labels/derived.js";
import { DERIVED_LABELS, type DerivedLabel, intervals, renderDerived } from "../../../src/labels/render.js";
import { type NetlinkMessage, parseMessages } from "../../../src/netlink/message.js";
import { NFT_MSG_NEWRULE, NFT_MSG_NEWSETELEM, nftMessageType } from "../../../src/nftables/constants.js";
import { type Rule, ruleFromMessage } from "../../../src/nftables/rule.js";
import { type SetElement, setElementsFromMessage } from "../../../src/nftables/setelem.js";
import { datagramsOf, loadFixture } from "../helpers/fixtures.js";

const NAMES = Object.keys(DERIVED_LABELS) as DerivedLabel[];

function messages(name: string, type: number): NetlinkMessage[] {
  return datagramsOf(loadFixture(name)).flatMap((d) => [...parseMessages(d)].filter((m) => m.type === type));
}

const rules: Rule[] = messages("matches", nftMessageType(NFT_MSG_NEWRULE)).map((m) =>
  ruleFromMessage(m, "all"),
);
const sets: Record<string, SetElement[]> = {
  __set0: messages("setelem-addresses", nftMessageType(NFT_MSG_NEWSETELEM)).flatMap(setElementsFromMessage),
  __set1: messages("setelem-ports", nftMessageType(NFT_MSG_NEWSETELEM)).flatMap(setElementsFromMessage),
};

/** labelsOf renders every derived label of the fixture rule whose comment is nft(case=<name>), non-empty only. */
function labelsOf(name: string): Record<string, string> {
  const rule = rules.find((r) => r.comment === `nft(case=${name})`);
  assert.ok(rule, `fixture rule ${name}`);
  const values = renderDerived(interpretRule(rule.family, rule.exprs), NAMES, (s) => sets[s]);
  return Object.fromEntries(NAMES.map((n, i) => [n, values[i] as string]).filter(([, v]) => v !== ""));
}

// Expected values, one row per rule of test/fixtures/matches.json (captured from Linux 6.18, nft 1.0.6).
const CASES: [string, string, Record<string, string>][] = [
  ["v4prefix", "ip saddr 10.0.0.0/8", { address: "10.0.0.0/8", saddr: "10.0.0.0/8", nfproto: "ipv4" }],
  [
    "v4host_dport",
    "ip daddr 203.0.113.140 tcp dport 22",
    {
      address: "203.0.113.140/32",
      daddr: "203.0.113.140/32",
      port: "22",
      dport: "22",
      l4proto: "tcp",
      nfproto: "ipv4",
    },
  ],
  [
    "dport_range",
    "tcp dport 1000-2000 (two cmps: >= and <=)",
    { port: "1000-2000", dport: "1000-2000", l4proto: "tcp" },
  ],
  [
    "v6prefix",
    "ip6 daddr 2001:db8::/32",
    { address: "2001:db8::/32", daddr: "2001:db8::/32", nfproto: "ipv6" },
  ],
  [
    "v6host_sport",
    "ip6 saddr 2001:db8::1 udp sport 53",
    {
      address: "2001:db8::1/128",
      saddr: "2001:db8::1/128",
      port: "53",
      sport: "53",
      l4proto: "udp",
      nfproto: "ipv6",
    },
  ],
  ["l4proto", "meta l4proto tcp", { l4proto: "tcp" }],
  ["iifname", 'iifname "eth0"', { iifname: "eth0" }],
  ["oifname_wildcard", 'oifname "veth*"', { oifname: "veth*" }],
  [
    "v4set",
    "ip saddr { 1.2.3.4, 5.6.7.0/24 } (anonymous interval set)",
    { address: "1.2.3.4/32,5.6.7.0/24", saddr: "1.2.3.4/32,5.6.7.0/24", nfproto: "ipv4" },
  ],
  ["portset", "tcp dport { 22, 80, 443 }", { port: "22,80,443", dport: "22,80,443", l4proto: "tcp" }],
  [
    "both_sides",
    "ip saddr 198.51.100.7 ip daddr 192.0.2.0/24: address is ambiguous, saddr/daddr are not",
    { saddr: "198.51.100.7/32", daddr: "192.0.2.0/24", nfproto: "ipv4" },
  ],
  ["negated", "ip saddr != 10.0.0.0/8: never rendered", { nfproto: "ipv4" }],
  ["ct_state", "ct state established,related", { ct_state: "established,related" }],
  ["ip_protocol", "ip protocol udp", { l4proto: "udp", nfproto: "ipv4" }],
  ["v6_nonprefix_mask", "ip6 daddr & ::ffff == ::1: not a prefix, never rendered", { nfproto: "ipv6" }],
];

describe("derived labels of real kernel rules", () => {
  test("every fixture rule has a case", () => {
    assert.deepEqual(
      rules.map((r) => r.comment),
      CASES.map(([name]) => `nft(case=${name})`),
    );
  });
  for (const [name, rule, want] of CASES)
    test(`${name}: ${rule}`, () => assert.deepEqual(labelsOf(name), want));

  test("the default selection decodes only counters: no facts", () => {
    const [msg] = messages("matches", nftMessageType(NFT_MSG_NEWRULE));
    const rule = ruleFromMessage(msg as NetlinkMessage);
    assert.deepEqual(
      renderDerived(interpretRule(rule.family, rule.exprs), ["address"], () => undefined),
      [""],
    );
  });

  test("an anonymous set that could not be read renders empty", () => {
    const rule = rules.find((r) => r.comment === "nft(case=v4set)") as Rule;
    assert.deepEqual(
      renderDerived(interpretRule(rule.family, rule.exprs), ["saddr"], () => undefined),
      [""],
    );
  });

  test("an unknown expression between load and compare forgets the registers", () => {
    const rule = rules.find((r) => r.comment === "nft(case=v4prefix)") as Rule;
    const exprs = [...rule.exprs];
    exprs.splice(exprs.length - 2, 0, { kind: "unknown", name: "numgen" });
    assert.deepEqual(
      renderDerived(interpretRule(rule.family, exprs), ["saddr"], () => undefined),
      [""],
    );
  });
});

describe("address and set rendering", () => {
  const v6 = (s: string) => Buffer.from(s.replace(/ /g, ""), "hex");
  const cases: [string, Buffer, string][] = [
    ["IPv4", Buffer.from([203, 0, 113, 140]), "203.0.113.140"],
    ["all zero", Buffer.alloc(16), "::"],
    ["loopback", v6("0000 0000 0000 0000 0000 0000 0000 0001"), "::1"],
    ["trailing run", v6("2001 0db8 0000 0000 0000 0000 0000 0000"), "2001:db8::"],
    ["first longest run", v6("2001 0000 0000 0001 0000 0000 0000 0001"), "2001:0:0:1::1"],
    ["single zero word kept", v6("2001 0db8 0000 0001 0001 0001 0001 0001"), "2001:db8:0:1:1:1:1:1"],
    ["IPv4-mapped", v6("0000 0000 0000 0000 0000 ffff 0102 0304"), "::ffff:1.2.3.4"],
  ];
  for (const [what, addr, text] of cases)
    test(`formatAddress: ${what}`, () => assert.equal(formatAddress(addr), text));

  test("formatAddressRange: CIDR blocks as a/len, other ranges as a-b", () => {
    assert.equal(formatAddressRange(0x0a000000n, 0x0affffffn, 4), "10.0.0.0/8");
    assert.equal(formatAddressRange(0x0a000001n, 0x0a000001n, 4), "10.0.0.1/32");
    assert.equal(formatAddressRange(0x0a000001n, 0x0a000005n, 4), "10.0.0.1-10.0.0.5");
  });

  test("prefixBits: contiguous masks only", () => {
    assert.equal(prefixBits(Buffer.from([0xff, 0xf0, 0, 0])), 12);
    assert.equal(prefixBits(Buffer.from([0xff, 0, 0xff, 0])), undefined);
  });

  test("intervals: rbtree boundaries, an open last interval, pipapo key ends, concatenations", () => {
    const el = (key: number[], flags = 0, keyEnd?: number[]): SetElement => ({
      key: Buffer.from(key),
      keyEnd: keyEnd && Buffer.from(keyEnd),
      flags,
    });
    assert.deepEqual(intervals([el([0, 22]), el([0, 23], 1), el([3, 232]), el([7, 209], 1)], 2), [
      [22n, 22n],
      [1000n, 2000n],
    ]);
    assert.deepEqual(intervals([el([0, 0], 1), el([255, 0])], 2), [[65280n, 65535n]]);
    assert.deepEqual(intervals([el([0, 1], 0, [0, 9])], 2), [[1n, 9n]]);
    assert.equal(intervals([el([1, 2, 3, 4, 0, 0, 0, 22])], 4), undefined);
    assert.equal(intervals([el([0, 0], 2)], 2), undefined);
  });
});
