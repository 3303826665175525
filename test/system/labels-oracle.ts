// What each rule-derived label must be, computed from `nft -j` (libnftables JSON) — an interpretation of the
// rule independent of nfprom's netlink decoder, so a system test can compare the two for the same rule.

export const ALL_DERIVED = [
  "address",
  "port",
  "saddr",
  "daddr",
  "sport",
  "dport",
  "l4proto",
  "nfproto",
  "iifname",
  "oifname",
  "ct_state",
] as const;

type Json = Record<string, unknown>;

/** expectedLabels maps one `{"rule": {...}}` object's match statements to derived label values. */
export function expectedLabels(rule: Json): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(ALL_DERIVED.map((n) => [n, ""]));
  const negated = new Set<string>();
  if (rule.family === "ip") out.nfproto = "ipv4";
  if (rule.family === "ip6") out.nfproto = "ipv6";
  for (const stmt of (rule.expr as Json[]) ?? []) {
    const match = stmt.match as Json | undefined;
    if (!match) continue;
    const left = match.left as Json;
    const l3 = findProtocol(left);
    if (l3 === "ip") out.nfproto = "ipv4";
    if (l3 === "ip6") out.nfproto = "ipv6";
    const field = fieldOf(left);
    if (!field) continue;
    if (field === "sport" || field === "dport") out.l4proto = String((left.payload as Json).protocol);
    if (match.op === "!=") negated.add(field);
    else if (BOUNDS[String(match.op)]) out[field] = BOUNDS[String(match.op)]?.(Number(match.right)) as string;
    else out[field] = render(field, match.right, l3 === "ip6" ? 128 : 32);
  }
  for (const f of negated) out[f] = "";
  out.address = out.saddr && out.daddr ? "" : out.saddr || out.daddr || "";
  out.port = out.sport && out.dport ? "" : out.sport || out.dport || "";
  return out;
}

/** Port comparisons as the inclusive range they match. */
const BOUNDS: Record<string, (v: number) => string> = {
  "<": (v) => `0-${v - 1}`,
  "<=": (v) => `0-${v}`,
  ">": (v) => `${v + 1}-65535`,
  ">=": (v) => `${v}-65535`,
};

function findProtocol(left: unknown): string | undefined {
  if (!left || typeof left !== "object") return undefined;
  const payload = (left as Json).payload as Json | undefined;
  if (payload && (payload.protocol === "ip" || payload.protocol === "ip6")) return payload.protocol;
  for (const v of Object.values(left)) {
    const found = Array.isArray(v) ? v.map(findProtocol).find(Boolean) : findProtocol(v);
    if (found) return found;
  }
  return undefined;
}

function fieldOf(left: Json): string | undefined {
  const payload = left.payload as Json | undefined;
  if (payload) {
    const { protocol, field } = payload;
    if ((protocol === "ip" || protocol === "ip6") && (field === "saddr" || field === "daddr")) return field;
    if ((protocol === "ip" && field === "protocol") || (protocol === "ip6" && field === "nexthdr"))
      return "l4proto";
    if (field === "sport" || field === "dport") return field;
    return undefined;
  }
  const meta = left.meta as Json | undefined;
  if (meta && ["l4proto", "iifname", "oifname", "nfproto"].includes(String(meta.key)))
    return String(meta.key);
  const ct = left.ct as Json | undefined;
  if (ct?.key === "state") return "ct_state";
  return undefined;
}

function render(field: string, right: unknown, hostBits: number): string {
  const isAddr = field === "saddr" || field === "daddr";
  const one = (v: unknown): string => {
    if (typeof v === "string" || typeof v === "number") return isAddr ? `${v}/${hostBits}` : String(v);
    const o = v as Json;
    if (o.prefix) return `${(o.prefix as Json).addr}/${(o.prefix as Json).len}`;
    if (o.range) return (o.range as unknown[]).map(String).join("-");
    return "?";
  };
  if (Array.isArray(right)) return right.map(String).join(","); // ct state a,b
  if (right && typeof right === "object" && "set" in right) {
    // nfprom sorts set elements (by value; names alphabetically), nft prints them in the kernel's order.
    const parts = ((right as Json).set as unknown[]).map(one);
    return (field.endsWith("ifname") ? parts.sort() : parts).join(",");
  }
  return one(right);
}
