import { NFT_SET_ELEM_CATCHALL, NFT_SET_ELEM_INTERVAL_END } from "../nftables/constants.js";
import type { SetElement } from "../nftables/setelem.js";
import { formatAddress, formatAddressRange } from "./addr.js";
import { eqValue, type Field, type Match, type MatchFacts, toBig } from "./derived.js";
import { intervalsOf } from "./intervals.js";

/**
 * The labels `--rule-labels` can add, and how each is computed from the rule's match facts (derived.ts).
 * An empty value means "not matched, or not renderable exactly"; Prometheus treats it as absent.
 */
export const DERIVED_LABELS = {
  address: "the address the rule matches as CIDR (ip/ip6 saddr or daddr); empty when it matches both or none",
  port: "the transport port the rule matches (sport or dport; `1000-2000` for ranges); empty when both or none",
  saddr: "the source address the rule matches, as CIDR",
  daddr: "the destination address the rule matches, as CIDR",
  sport: "the source port the rule matches",
  dport: "the destination port the rule matches",
  l4proto: "the transport protocol (meta l4proto, ip protocol, ip6 nexthdr, implied by tcp/udp matches)",
  nfproto: "ipv4 or ipv6: the table family (ip, ip6) or meta nfproto / meta protocol",
  iifname: "the input interface name (`eth*` for a wildcard)",
  oifname: "the output interface name (`eth*` for a wildcard)",
  ct_state: "the conntrack states of `ct state a,b`, comma-separated",
} as const;

export type DerivedLabel = keyof typeof DERIVED_LABELS;

/** SetElements returns the elements of an anonymous set of the rule's table, undefined when unknown. */
export type SetElements = (set: string) => readonly SetElement[] | undefined;

/** renderDerived renders `names` (in that order) for one rule. Never throws; unrenderable → "". */
export function renderDerived(
  facts: MatchFacts,
  names: readonly DerivedLabel[],
  sets: SetElements,
): string[] {
  return names.map((name) => renderLabel(facts, name, sets));
}

function renderLabel(facts: MatchFacts, name: DerivedLabel, sets: SetElements): string {
  if (name === "address") return eitherSide(facts, "saddr", "daddr", sets);
  if (name === "port") return eitherSide(facts, "sport", "dport", sets);
  return renderField(facts, name, sets);
}

/** eitherSide: the seed's `address`/`port` — whichever side the rule matches; both sides is ambiguous. */
function eitherSide(facts: MatchFacts, src: Field, dst: Field, sets: SetElements): string {
  if (facts[src] && facts[dst]) return "";
  return renderField(facts, facts[src] ? src : dst, sets);
}

function renderField(facts: MatchFacts, field: Field, sets: SetElements): string {
  const m = facts[field];
  if (!m || m.kind === "unknown") return "";
  const kind = KINDS[field];
  const width = kind === "address" ? addressWidth(facts) : WIDTHS[kind];
  if (width === undefined) return "";
  if (m.kind === "set") return renderSet(kind, width, sets(m.set));
  return renderMatch(kind, width, m);
}

type ValueKind = "address" | "port" | "l4proto" | "nfproto" | "ifname" | "ct_state";

const KINDS: Record<Field, ValueKind> = {
  saddr: "address",
  daddr: "address",
  sport: "port",
  dport: "port",
  l4proto: "l4proto",
  nfproto: "nfproto",
  iifname: "ifname",
  oifname: "ifname",
  ct_state: "ct_state",
};

const WIDTHS: Record<Exclude<ValueKind, "address">, number> = {
  port: 2,
  l4proto: 1,
  nfproto: 1,
  ifname: 16,
  ct_state: 4,
};

function addressWidth(facts: MatchFacts): number | undefined {
  const nfproto = eqValue(facts.nfproto);
  return nfproto === 2 ? 4 : nfproto === 10 ? 16 : undefined;
}

function renderMatch(kind: ValueKind, width: number, m: Match): string {
  if (m.kind === "bits") return kind === "ct_state" ? ctStates(m.bits) : "";
  if (m.kind === "range") return renderInterval(kind, width, m.from, m.to);
  if (m.kind !== "eq") return "";
  if (kind === "address") {
    const full = Buffer.alloc(width);
    m.data.copy(full);
    return `${formatAddress(full)}/${m.bits}`;
  }
  if (m.bits !== m.data.length * 8) return "";
  if (kind === "ifname") return ifname(m.data);
  return renderInterval(kind, width, toBig(m.data), toBig(m.data));
}

function renderInterval(kind: ValueKind, width: number, from: bigint, to: bigint): string {
  if (kind === "address") return formatAddressRange(from, to, width);
  if (kind === "port") return from === to ? `${from}` : `${from}-${to}`;
  if (from !== to) return "";
  if (kind === "l4proto") return protocolName(Number(from));
  if (kind === "nfproto") return NFPROTO_NAMES[Number(from)] ?? "";
  return "";
}

function renderSet(kind: ValueKind, width: number, elements: readonly SetElement[] | undefined): string {
  if (!elements) return "";
  if (kind === "ifname") {
    const plain = elements.every((e) => e.key.length === width && e.flags === 0 && !e.keyEnd);
    return plain
      ? elements
          .map((e) => ifname(e.key))
          .sort()
          .join(",")
      : "";
  }
  const ranges = intervals(elements, width);
  if (!ranges) return "";
  const parts = ranges.map(([from, to]) => renderInterval(kind, width, from, to));
  return parts.includes("") ? "" : parts.join(",");
}

/**
 * intervals turns set elements into sorted inclusive ranges. Plain sets hold values; interval sets
 * (rbtree) hold boundaries where an element flagged INTERVAL_END ends the previous range (exclusive) and
 * a missing final end means "up to the maximum"; pipapo sends inclusive key/keyEnd pairs. Undefined for
 * a catch-all element or a key of another width (a concatenation).
 */
export function intervals(elements: readonly SetElement[], width: number): [bigint, bigint][] | undefined {
  const bad = (e: SetElement) =>
    e.key.length !== width || (e.keyEnd && e.keyEnd.length !== width) || e.flags & NFT_SET_ELEM_CATCHALL;
  if (elements.some(bad)) return undefined;
  if (!elements.some((e) => e.flags & NFT_SET_ELEM_INTERVAL_END)) {
    const out = elements.map((e): [bigint, bigint] => [toBig(e.key), toBig(e.keyEnd ?? e.key)]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  const max = (1n << BigInt(width * 8)) - 1n;
  return intervalsOf(elements).map(({ start, last }) => [toBig(start.key), last ?? max]);
}

/** ifname: a NUL-terminated name, or a prefix without NUL (`iifname "eth*"` compares only "eth"). */
function ifname(data: Buffer): string {
  const nul = data.indexOf(0);
  return nul === -1 ? `${data.toString("utf8")}*` : data.toString("utf8", 0, nul);
}

const NFPROTO_NAMES: Record<number, string> = { 2: "ipv4", 10: "ipv6" };

/** Protocol names as nft prints them (from /etc/protocols); others as their number. */
const PROTOCOL_NAMES: Record<number, string> = {
  1: "icmp",
  2: "igmp",
  6: "tcp",
  17: "udp",
  33: "dccp",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "ipv6-icmp",
  132: "sctp",
  136: "udplite",
};

export function protocolName(n: number): string {
  return PROTOCOL_NAMES[n] ?? String(n);
}

/** ct state bits (nf_conntrack_common.h: NF_CT_STATE_BIT(IP_CT_*), NF_CT_STATE_INVALID_BIT, UNTRACKED). */
const CT_STATES: [number, string][] = [
  [1, "invalid"],
  [2, "established"],
  [4, "related"],
  [8, "new"],
  [64, "untracked"],
];

function ctStates(bits: number): string {
  const known = CT_STATES.reduce((acc, [bit]) => acc | bit, 0);
  if (bits === 0 || (bits & ~known) !== 0) return "";
  return CT_STATES.filter(([bit]) => bits & bit)
    .map(([, name]) => name)
    .join(",");
}
