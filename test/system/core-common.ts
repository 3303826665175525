// Shared helpers of the core integration tests (test/system/core-*.test.ts). Built on the harness only; this
// module holds the tests' own, independent model of what the exporter must print for a chain, so that every
// comparison is exact: expected series are computed from `nft -j list chain` (the oracle), never from nfprom.
import assert from "node:assert/strict";
import {
  childrenOf,
  type Exposition,
  type NfpromHandle,
  type OracleRule,
  parseExposition,
  processAlive,
  type SampleValue,
  sampleKey,
  waitUntil,
} from "./harness.js";

export const U64_MAX = (1n << 64n) - 1n;
export const NOBODY = 65534;
export const NOGROUP = 65534;

/** Capability bits. */
export const CAP = { CHOWN: 0, KILL: 5, SETGID: 6, SETUID: 7, NET_ADMIN: 12 } as const;
export const bit = (cap: number): bigint => 1n << BigInt(cap);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The test's own reading of the `nft(k=v;...)` grammar: labels, "ignored", or "rejected". */
export function commentVerdict(comment: string | undefined): Record<string, string> | "ignored" | "rejected" {
  if (comment === undefined) return "ignored";
  const m = /^nft\((.*)\)$/s.exec(comment.trim());
  if (!m) return "ignored";
  const labels: Record<string, string> = {};
  for (const pair of (m[1] as string).split(";")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq < 0) return "rejected";
    const k = pair.slice(0, eq).trim();
    if (!LABEL_NAME.test(k) || k.startsWith("__") || Object.hasOwn(labels, k)) return "rejected";
    labels[k] = pair.slice(eq + 1).trim();
  }
  return labels;
}

export interface Expected {
  /** sampleKey(…_bytes_total, labels) → value, and the same for packets. */
  bytes: Map<string, bigint>;
  packets: Map<string, bigint>;
  counts: { exported: number; ignored: number; rejected: number };
}

/**
 * What the exporter must print for these kernel rules: label names = union of the keys, missing keys filled
 * with "", identical label sets summed; rules without counter or with a bad key rejected, others ignored.
 */
export function expectedSeries(rules: readonly OracleRule[], ns = "nfprom"): Expected {
  const counts = { exported: 0, ignored: 0, rejected: 0 };
  const accepted: { labels: Record<string, string>; bytes: bigint; packets: bigint }[] = [];
  const keys = new Set<string>();
  for (const r of rules) {
    const v = commentVerdict(r.comment);
    if (v === "ignored") counts.ignored++;
    else if (v === "rejected" || r.bytes === undefined || r.packets === undefined) counts.rejected++;
    else {
      counts.exported++;
      for (const k of Object.keys(v)) keys.add(k);
      accepted.push({ labels: v, bytes: r.bytes, packets: r.packets });
    }
  }
  const bytes = new Map<string, bigint>();
  const packets = new Map<string, bigint>();
  for (const a of accepted) {
    const full: Record<string, string> = {};
    for (const k of keys) full[k] = a.labels[k] ?? "";
    const bk = sampleKey(`${ns}_bytes_total`, full);
    const pk = sampleKey(`${ns}_packets_total`, full);
    bytes.set(bk, (bytes.get(bk) ?? 0n) + a.bytes);
    packets.set(pk, (packets.get(pk) ?? 0n) + a.packets);
  }
  return { bytes, packets, counts };
}

/** The rule series of a scrape as exact bigints (throws on a non-integer value). */
export function actualSeries(
  e: Exposition,
  ns = "nfprom",
): { bytes: Map<string, bigint>; packets: Map<string, bigint> } {
  const pick = (name: string) =>
    new Map(
      e.byName(name).map((s) => {
        assert.equal(typeof s.value, "bigint", `${s.key} has a non-integer value ${String(s.value)}`);
        return [s.key, s.value as bigint] as const;
      }),
    );
  return { bytes: pick(`${ns}_bytes_total`), packets: pick(`${ns}_packets_total`) };
}

/** nfprom_rules{state} as plain numbers. */
export function ruleCounts(e: Exposition, ns = "nfprom"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of e.byName(`${ns}_rules`)) out[s.labels.state ?? "?"] = Number(s.value);
  return out;
}

/** Asserts that the scrape's rule series and rule counts are exactly what the kernel's rules imply. */
export function assertMatchesKernel(body: string, rules: readonly OracleRule[], ns = "nfprom"): Exposition {
  const e = parseExposition(body);
  assert.deepEqual(e.duplicates, [], "duplicate series in the exposition");
  const want = expectedSeries(rules, ns);
  const got = actualSeries(e, ns);
  assert.deepEqual(
    sortedEntries(got.bytes),
    sortedEntries(want.bytes),
    "bytes series differ from the kernel's",
  );
  assert.deepEqual(
    sortedEntries(got.packets),
    sortedEntries(want.packets),
    "packets series differ from the kernel's",
  );
  assert.deepEqual(ruleCounts(e, ns), want.counts, "nfprom_rules{state} differs");
  assert.equal(e.get(`${ns}_up`), 1n);
  return e;
}

function sortedEntries(m: Map<string, bigint>): [string, string][] {
  return [...m].map(([k, v]) => [k, v.toString()] as [string, string]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The raw sample lines of the rule metrics (`<ns>_bytes_total…` / `<ns>_packets_total…`), sorted. */
export function ruleLines(body: string, ns = "nfprom"): string[] {
  return body
    .split("\n")
    .filter((l) => l.startsWith(`${ns}_bytes_total`) || l.startsWith(`${ns}_packets_total`))
    .sort();
}

/** Value as a number (gauges), whatever its literal form. */
export function num(v: SampleValue | undefined): number {
  assert.notEqual(v, undefined, "sample missing");
  return Number(v);
}

/** The web process: the reader's only child. Waits for it to exist; asserts there is exactly one. */
export async function webPid(h: NfpromHandle): Promise<number> {
  await waitUntil(() => childrenOf(h.pid).length > 0, { timeoutMs: 10_000, what: "the web process" });
  const kids = childrenOf(h.pid);
  assert.equal(kids.length, 1, `the reader should have exactly one child, has ${kids.join(",")}`);
  const pid = kids[0] as number;
  assert.ok(processAlive(pid));
  return pid;
}

/** Lines of the exporter's log whose logfmt `msg` equals `msg` (and whose fields match `fields`). */
export function logLines(h: NfpromHandle, msg: string, fields: Record<string, string> = {}): string[] {
  const lines = h.logs();
  return h
    .records()
    .map((r, i) => [r, lines[i] as string] as const)
    .filter(([r]) => r.msg === msg && Object.entries(fields).every(([k, v]) => r[k] === v))
    .map(([, l]) => l);
}
