import { formatValue, type MetricFamily, parseLabels, type SampleValue } from "../exposition/text.js";
import type { Finding } from "../labels/diagnose.js";
import type { LastScrape } from "../render/scrape.js";
import { VERSION } from "../version.js";

/**
 * The live view's data (/api/live, shown by the page at /): the families of the last scrape, never a read
 * of its own beyond a scrape's. The series of rules, named counters and set elements come as one table,
 * filtered, sorted and cut into pages here, so that the answer stays small for a chain of 100k rules; the
 * page computes rates from successive answers. Every other family (nfprom's health, quotas, sets) comes
 * whole, up to MAX_SAMPLES_PER_FAMILY samples each, and `nfprom check`'s findings come in pages.
 */

/** The table's kinds of series: bytes and packets families of the same labels, in this order. */
const SERIES_KINDS = [
  { kind: "rule", bytes: "bytes_total", packets: "packets_total" },
  { kind: "counter", bytes: "object_bytes_total", packets: "object_packets_total" },
  { kind: "set_element", bytes: "set_element_bytes_total", packets: "set_element_packets_total" },
] as const;

type SortKey = "labels" | "bytes" | "packets";
const DEFAULT_ROWS = 100;
const MAX_ROWS = 1000;
const MAX_SAMPLES_PER_FAMILY = 200;
/** Longest filter text accepted; a longer one is cut. */
const MAX_FILTER_CHARS = 200;

export interface LiveQuery {
  offset: number;
  limit: number;
  sort: SortKey;
  desc: boolean;
  /** Substring of the label text (`svc="web"`), case-sensitive; "" matches every series. */
  filter: string;
  /** "rule", "counter", "set_element" or "" for all. */
  kind: string;
  findingsOffset: number;
  findingsLimit: number;
}

/** parseLiveQuery reads the query string; anything malformed falls back to its default. */
export function parseLiveQuery(params: URLSearchParams): LiveQuery {
  const count = (name: string, fallback: number, max: number) => {
    const n = Number(params.get(name) ?? Number.NaN);
    return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
  };
  const sort = params.get("sort");
  const kind = params.get("kind") ?? "";
  return {
    offset: count("offset", 0, Number.MAX_SAFE_INTEGER),
    limit: count("limit", DEFAULT_ROWS, MAX_ROWS) || DEFAULT_ROWS,
    sort: sort === "bytes" || sort === "packets" ? sort : "labels",
    desc: params.get("order") === "desc",
    filter: (params.get("filter") ?? "").slice(0, MAX_FILTER_CHARS),
    kind: SERIES_KINDS.some((k) => k.kind === kind) ? kind : "",
    findingsOffset: count("findings_offset", 0, Number.MAX_SAFE_INTEGER),
    findingsLimit: count("findings_limit", DEFAULT_ROWS, MAX_ROWS) || DEFAULT_ROWS,
  };
}

/** Column: a family's samples by index, whichever form they come in. */
interface Column {
  count: number;
  label(i: number): string;
  value(i: number): SampleValue;
}

function columnOf(family: MetricFamily): Column {
  const samples = family.samples;
  if (Symbol.iterator in samples) {
    const list = [...samples];
    return {
      count: list.length,
      label: (i) => list[i]?.labels ?? "",
      value: (i) => list[i]?.value ?? 0,
    };
  }
  const { labels, values, offset, stride } = samples;
  return {
    count: labels.length,
    label: (i) => labels[i] as string,
    value: (i) => values[offset + i * stride] as SampleValue,
  };
}

/** SeriesRef: series i of one kind's pair of columns. */
interface SeriesRef {
  kind: string;
  bytes: Column;
  packets: Column;
  i: number;
}

/** Labels as the page shows them: pairs, empty values left out (Prometheus stores no empty label). */
function shownLabels(text: string): [string, string][] {
  return parseLabels(text).filter(([, v]) => v !== "");
}

function compareValues<T extends string | SampleValue>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * liveAnswer builds the JSON answer for one request from the last scrape's families and the findings.
 * Bigints travel as decimal strings (exact beyond 2^53).
 */
export function liveAnswer(
  last: LastScrape,
  findings: readonly Finding[],
  query: LiveQuery,
  namespace: string,
  telemetryPath: string,
): string {
  const byName = new Map(last.families.map((f) => [f.name, f]));
  const seriesNames = new Set<string>();
  const matched: SeriesRef[] = [];
  let total = 0;
  for (const k of SERIES_KINDS) {
    const bytesFamily = byName.get(`${namespace}_${k.bytes}`);
    const packetsFamily = byName.get(`${namespace}_${k.packets}`);
    if (!bytesFamily || !packetsFamily) continue;
    seriesNames.add(bytesFamily.name).add(packetsFamily.name);
    const bytes = columnOf(bytesFamily);
    const packets = columnOf(packetsFamily);
    total += bytes.count;
    if (query.kind !== "" && query.kind !== k.kind) continue;
    for (let i = 0; i < bytes.count; i++)
      if (query.filter === "" || bytes.label(i).includes(query.filter))
        matched.push({ kind: k.kind, bytes, packets, i });
  }
  const key = (r: SeriesRef) => (query.sort === "packets" ? r.packets.value(r.i) : r.bytes.value(r.i));
  matched.sort((a, b) => {
    const order =
      query.sort === "labels"
        ? compareValues(a.bytes.label(a.i), b.bytes.label(b.i))
        : compareValues(key(a), key(b));
    return query.desc ? -order : order;
  });
  const rows = matched.slice(query.offset, query.offset + query.limit).map((r) => ({
    kind: r.kind,
    key: `${r.kind}${r.bytes.label(r.i)}`,
    labels: shownLabels(r.bytes.label(r.i)),
    bytes: formatValue(r.bytes.value(r.i)),
    packets: formatValue(r.packets.value(r.i)),
  }));
  const families = last.families
    .filter((f) => !seriesNames.has(f.name))
    .map((f) => {
      const column = columnOf(f);
      const shown = Math.min(column.count, MAX_SAMPLES_PER_FAMILY);
      return {
        name: f.name,
        type: f.type,
        help: f.help,
        samples: Array.from({ length: shown }, (_, i) => ({
          labels: shownLabels(column.label(i)),
          value: formatValue(column.value(i)),
        })),
        more: column.count - shown,
      };
    });
  const severities = { error: 0, warning: 0, info: 0 };
  for (const f of findings) severities[f.severity]++;
  const page = findings.slice(query.findingsOffset, query.findingsOffset + query.findingsLimit);
  return JSON.stringify({
    version: VERSION,
    namespace,
    telemetryPath,
    scrapedAtMs: last.atMs,
    families,
    series: { total, matched: matched.length, offset: query.offset, limit: query.limit, rows },
    findings: {
      total: findings.length,
      severities,
      offset: query.findingsOffset,
      limit: query.findingsLimit,
      rows: page.map((f) => ({ ...f, handle: f.handle?.toString() })),
    },
  });
}

/** Data younger than this is answered as it is; older data is read again first (a normal scrape read). */
export const LIVE_FRESH_MS = 1000;

/**
 * LiveView answers /api/live from the last scrape, and refreshes it first when it is older than
 * LIVE_FRESH_MS through `read`, which does a scrape's read (the reader's single-flight dump, within
 * --web.max-requests). Concurrent viewers share one refresh: however many pages are open, the live view
 * adds at most one read per LIVE_FRESH_MS to Prometheus' scrapes.
 */
export class LiveView {
  #refreshing: Promise<void> | undefined;

  constructor(
    readonly last: () => LastScrape | undefined,
    readonly findings: () => Finding[],
    readonly read: () => Promise<void>,
    readonly namespace: string,
    readonly telemetryPath: string,
  ) {}

  async answer(params: URLSearchParams): Promise<string> {
    const current = this.last();
    if (!current || Date.now() - current.atMs > LIVE_FRESH_MS) await this.#refresh();
    const last = this.last() ?? { families: [], atMs: 0 };
    return liveAnswer(last, this.findings(), parseLiveQuery(params), this.namespace, this.telemetryPath);
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= this.read().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }
}
