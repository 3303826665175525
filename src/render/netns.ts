import {
  escapeLabelValue,
  formatLabels,
  type MetricFamily,
  parseLabels,
  type Sample,
  type SampleColumns,
  type SampleValue,
} from "../exposition/text.js";
import type { ReadReply } from "../ipc/protocol.js";
import type { Finding } from "../labels/diagnose.js";
import type { NetnsRead, ReaderStats } from "../model/snapshot.js";

/** NamespaceScraper renders one namespace's read as if it were the only one (a Scraper of its own). */
export interface NamespaceScraper {
  take(input: ReadReply, startedAt: bigint): MetricFamily[];
  findings(): Finding[];
}

/**
 * NetnsScrapers renders a -netns read: each namespace through a scraper of its own (its label plan, its
 * reported rejections, its last read time live as long as the namespace), then one family per name with
 * every namespace's samples, each labelled `netns`. Families that describe nfprom itself rather than a
 * namespace (`shared`) are left to the caller, once and unlabelled.
 */
export class NetnsScrapers {
  #scrapers = new Map<string, { scraper: NamespaceScraper; relabel: Relabel }>();

  constructor(
    readonly scraperFor: () => NamespaceScraper,
    readonly shared: (family: string) => boolean,
  ) {}

  families(reads: readonly NetnsRead[], stats: ReaderStats, startedAt: bigint): MetricFamily[] {
    const scrapers = new Map<string, { scraper: NamespaceScraper; relabel: Relabel }>();
    const merged = new Map<string, { family: MetricFamily; parts: MetricFamily["samples"][] }>();
    for (const read of reads) {
      const kept = this.#scrapers.get(read.netns) ?? {
        scraper: this.scraperFor(),
        relabel: new Relabel(read.netns),
      };
      scrapers.set(read.netns, kept);
      const input: ReadReply =
        "snapshot" in read
          ? { type: "snapshot", id: 0, snapshot: read.snapshot, stats }
          : { type: "error", id: 0, error: read.error, stats };
      for (const family of kept.scraper.take(input, startedAt)) {
        if (this.shared(family.name)) continue;
        const samples = kept.relabel.samples(family.samples);
        const entry = merged.get(family.name);
        if (entry) entry.parts.push(samples);
        else merged.set(family.name, { family, parts: [samples] });
      }
    }
    // Namespaces that are gone take their scrapers (and what those remember) with them.
    this.#scrapers = scrapers;
    return [...merged.values()].map(({ family, parts }) => ({ ...family, samples: concat(parts) }));
  }

  findings(): Finding[] {
    return [...this.#scrapers.values()].flatMap(({ scraper }) => scraper.findings());
  }
}

/**
 * Relabel puts one namespace's `netns` label first in every sample's label text. Label texts of the rule
 * plan are the same array from one scrape to the next while the chain is unchanged: their labelled copy is
 * kept with it, so a scrape of 100k rules does not build 100k strings again.
 */
class Relabel {
  readonly #pair: string;
  #columns = new WeakMap<readonly string[], string[]>();

  constructor(netns: string) {
    this.#pair = `netns="${escapeLabelValue(netns)}"`;
  }

  /** label adds the pair to a label text, whose own `netns` label gives way (withoutNetns). */
  label(text: string): string {
    if (text === "") return `{${this.#pair}}`;
    return `{${this.#pair},${withoutNetns(text).slice(1)}`;
  }

  samples(samples: MetricFamily["samples"]): MetricFamily["samples"] {
    if (!isColumns(samples))
      return [...samples].map((s) => ({ labels: this.label(s.labels), value: s.value }));
    let labels = this.#columns.get(samples.labels);
    if (!labels) {
      labels = samples.labels.map((text) => this.label(text));
      this.#columns.set(samples.labels, labels);
    }
    return { ...samples, labels };
  }
}

/**
 * withoutNetns renames a comment key `netns` as Prometheus renames a scraped label that clashes with a
 * target's: `exported_netns`, or `exported_exported_netns` when the comment has that one too, and so on.
 * The text is parsed, not searched: a value may end in `,netns=`, and comments are the namespace owner's
 * to write; a label given twice would make the whole exposition invalid, every namespace's.
 */
function withoutNetns(text: string): string {
  if (!text.includes('netns="')) return text;
  const pairs = parseLabels(text);
  const names = new Set(pairs.map(([name]) => name));
  if (!names.has("netns")) return text;
  let renamed = "exported_netns";
  while (names.has(renamed)) renamed = `exported_${renamed}`;
  return formatLabels(
    pairs.map(([name]) => (name === "netns" ? renamed : name)),
    pairs.map(([, value]) => value),
  );
}

function isColumns(samples: MetricFamily["samples"]): samples is SampleColumns {
  return !(Symbol.iterator in samples);
}

/** concat joins the namespaces' samples of one family: as columns when each part is (large families). */
function concat(parts: MetricFamily["samples"][]): MetricFamily["samples"] {
  if (parts.length === 1) return parts[0] as MetricFamily["samples"];
  if (!parts.every(isColumns)) return parts.flatMap((part) => [...samplesOf(part)]);
  const labels = parts.flatMap((part) => part.labels);
  const bigints = parts.every((part) => part.values instanceof BigUint64Array);
  const values: SampleValue[] | BigUint64Array = bigints ? new BigUint64Array(labels.length) : [];
  let at = 0;
  for (const { labels: own, values: from, offset, stride } of parts) {
    for (let i = 0; i < own.length; i++) values[at++] = from[offset + i * stride] as SampleValue & bigint;
  }
  return { labels, values, offset: 0, stride: 1 };
}

function* samplesOf(samples: MetricFamily["samples"]): Generator<Sample> {
  if (!isColumns(samples)) {
    yield* samples;
    return;
  }
  const { labels, values, offset, stride } = samples;
  for (let i = 0; i < labels.length; i++)
    yield { labels: labels[i] as string, value: values[offset + i * stride] as SampleValue };
}
