import type { ListenAddress } from "../config/config.js";
import { parseDuration } from "../duration.js";
import { DERIVED_LABELS, type DerivedLabel } from "../labels/render.js";
import { FAMILIES, type FamilyName } from "../nftables/constants.js";

/**
 * The value parsers of the flag table (flags.ts): each turns one flag's text into its typed value or throws
 * an Error whose message parseArgs puts after `invalid value "..." for flag -name: `.
 */
const NAME_MAX = 255; // NFT_NAME_MAXLEN - 1

export function nftName(v: string): string {
  if (v === "") throw new Error("must not be empty");
  if (Buffer.byteLength(v) > NAME_MAX) throw new Error(`longer than ${NAME_MAX} bytes`);
  if (v.includes("\0")) throw new Error("contains NUL");
  return v;
}

export function family(v: string): FamilyName {
  if (!Object.hasOwn(FAMILIES, v)) throw new Error(`not one of ${Object.keys(FAMILIES).join(", ")}`);
  return v as FamilyName;
}

export function metricPrefix(v: string): string {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v)) throw new Error("not a valid metric name prefix");
  return v;
}

/** Node timers hold at most 2^31-1 ms; a longer timer fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function positiveDuration(v: string): number {
  const ms = parseDuration(v);
  if (ms === undefined || ms < 1) throw new Error("not a positive duration such as 3s or 500ms");
  if (ms > MAX_TIMER_MS) throw new Error("longer than 596h");
  return Math.round(ms);
}

export function nonNegativeInt(v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new Error("not a non-negative integer");
  return Number(v);
}

/** telemetryPath: an absolute path other than "/" (the landing page), without query or fragment. */
export function telemetryPath(v: string): string {
  if (!/^\/[^?#\s]+$/.test(v)) throw new Error('expected an absolute path such as /metrics, not "/"');
  return v;
}

export function oneOf<T extends string>(v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`not one of ${allowed.join(", ")}`);
  return v as T;
}

/** listen parses "host:port", ":port" and "[v6]:port". */
export function listen(v: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v);
  if (!m) throw new Error("expected host:port, :port or [ipv6]:port");
  const port = Number(m[3]);
  if (port > 65535) throw new Error("port out of range");
  const host = m[1] ?? m[2];
  return { host: host === "" ? undefined : host, port };
}

/** ruleLabels parses -rule-labels: known names, comma-separated, each once; "" is none. */
export function ruleLabels(v: string): DerivedLabel[] {
  const names = v
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  for (const n of names) if (!Object.hasOwn(DERIVED_LABELS, n)) throw new Error(`unknown label "${n}"`);
  if (new Set(names).size !== names.length) throw new Error("a label is given twice");
  return names as DerivedLabel[];
}

/**
 * netnsSelector checks one -netns value: `all`, an absolute path, or a name or glob of a /run/netns entry
 * (no "/"; ip-netns(8) names are file names). The reader interprets it (reader/namespaces.ts).
 */
export function netnsSelector(v: string): string {
  if (v === "") throw new Error("must not be empty");
  if (v.includes("\0")) throw new Error("contains NUL");
  if (v.includes("/") && !v.startsWith("/")) {
    throw new Error("a path must be absolute (/proc/PID/ns/net); a name has no /");
  }
  if (v === "." || v === "..") throw new Error("not a namespace name");
  return v;
}
