import type { ErrorInfo } from "../errors.js";
import {
  columns,
  type ExpositionFormat,
  formatLabels,
  type MetricFamily,
  type MetricType,
  type Sample,
  TEXT_FORMAT,
} from "../exposition/text.js";
import type { WireReadReply, WireSnapshot } from "../ipc/protocol.js";
import {
  DEFAULT_POLICY_OPTIONS,
  LabelPolicy,
  type PolicyOptions,
  type Rejection,
  type Series,
  type SeriesSet,
} from "../labels/policy.js";
import type { Logger } from "../log.js";
import { sameStrings } from "../model/columns.js";
import { type RuleColumns, rulesFromColumns, sameStructure } from "../model/rule-columns.js";
import type { ReaderStats } from "../model/snapshot.js";
import { VERSION } from "../version.js";
import { SourceRenderer } from "./sources.js";

export type ScrapeInput = WireReadReply | { type: "lost"; error: ErrorInfo };

/**
 * RulePlan is the label policy's result for one structure of a chain's rules (handles, comments,
 * locations, derived labels: rule-columns.ts sameStructure), with each series' rendered label text.
 * Between two scrapes usually only counter values change: then the plan is reused as it is, and a scrape
 * costs a pass over the counter columns instead of the policy and an object per rule.
 */
interface RulePlan {
  rules: RuleColumns;
  derivedLabels: readonly string[];
  set: SeriesSet;
  labels: string[];
}

/** RuleSeries: this scrape's values for the plan's series: bytes, packets of series i at 2i, 2i + 1. */
interface RuleSeries {
  plan: RulePlan;
  values: BigUint64Array | bigint[];
}

/**
 * Scraper turns the reader's answer into one exposition: the rule counters (through the label policy)
 * and nfprom's own metrics. It remembers which rules it has already reported, so a rejected rule is
 * logged once, not on every scrape, and forgets rules that are gone.
 */
export class Scraper {
  readonly #policy: LabelPolicy;
  readonly #sources: SourceRenderer;
  #plan: RulePlan | undefined;
  #lastLength = 0;
  #reported = new Set<string>();
  #rendered = new WeakMap<readonly string[], { keys: string; text: string }>();
  #lastReadAt: number | undefined;
  #lastStats: ReaderStats | undefined;

  constructor(
    readonly namespace: string,
    readonly log: Logger,
    /** Families appended to every exposition (the web process's process_* metrics). */
    readonly extraFamilies: () => Iterable<MetricFamily> = () => [],
    /** -all-rules and -duplicates (see labels/policy.ts). */
    policy: PolicyOptions = DEFAULT_POLICY_OPTIONS,
  ) {
    this.#policy = new LabelPolicy(policy);
    this.#sources = new SourceRenderer(namespace);
  }

  /** render builds one exposition in `format` (text 0.0.4 unless the scraper negotiated OpenMetrics), whole. */
  render(input: ScrapeInput, startedAt: bigint, format: ExpositionFormat = TEXT_FORMAT): Buffer {
    return Buffer.concat([...this.chunks(input, startedAt, format, Number.POSITIVE_INFINITY)]);
  }

  /**
   * chunks takes in the read's result now and returns the exposition as pieces of about chunkBytes,
   * each written when it is pulled (see ExpositionFormat.chunks).
   */
  chunks(
    input: ScrapeInput,
    startedAt: bigint,
    format: ExpositionFormat,
    chunkBytes: number,
  ): Generator<Buffer> {
    let rules: RuleSeries | undefined;
    if (input.type === "snapshot") {
      rules = this.#ruleSeries(input.snapshot);
      this.#lastReadAt = input.snapshot.readAtMs;
    } else {
      this.log.warn("scrape without data", { code: input.error.code, err: input.error.message });
    }
    if (input.type !== "lost") this.#lastStats = input.stats;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const snapshot = input.type === "snapshot" ? input.snapshot : undefined;
    const families = [
      ...this.#families(rules, seconds),
      ...this.#sources.families(snapshot),
      ...this.extraFamilies(),
    ];
    return this.#measured(format.chunks(families, chunkBytes, this.#lastLength + 4096));
  }

  /** #measured passes the pieces on and remembers their total, the next exposition's size hint. */
  *#measured(pieces: Generator<Buffer>): Generator<Buffer> {
    let length = 0;
    for (const piece of pieces) {
      length += piece.length;
      yield piece;
    }
    this.#lastLength = length;
  }

  /** #ruleSeries applies the label policy, or reuses its last result when only counter values changed. */
  #ruleSeries(snapshot: WireSnapshot): RuleSeries {
    const derivedLabels = snapshot.derivedLabels ?? [];
    let plan = this.#plan;
    if (
      !plan ||
      !sameStructure(plan.rules, snapshot.rules) ||
      !sameStrings(plan.derivedLabels, derivedLabels)
    ) {
      const set = this.#policy.evaluate(rulesFromColumns(snapshot.rules), derivedLabels);
      this.#reportOnce(set);
      const keysId = set.keys.join(",");
      const labels = set.series.map((s) => this.#labelsText(set.keys, keysId, s.values));
      plan = { rules: snapshot.rules, derivedLabels, set, labels };
      this.#plan = plan;
    }
    return { plan, values: seriesValues(plan.set.series, snapshot.rules.numbers) };
  }

  /**
   * #labelsText renders a series' `{k="v",...}`, once per values array: the policy hands out the same array
   * for an unchanged rule on every scrape, so a large chain's labels are escaped and joined once.
   */
  #labelsText(keys: readonly string[], keysId: string, values: readonly string[]): string {
    const hit = this.#rendered.get(values);
    if (hit && hit.keys === keysId) return hit.text;
    const text = formatLabels(keys, values);
    this.#rendered.set(values, { keys: keysId, text });
    return text;
  }

  #reportOnce(set: SeriesSet): void {
    const current = new Set<string>();
    const report = (msg: string, rules: readonly Rejection[]) => {
      for (const r of rules) {
        const key = `${msg}\0${r.handle}\0${r.comment}\0${r.reason}`;
        current.add(key);
        if (!this.#reported.has(key))
          this.log.warn(msg, { handle: r.handle, comment: r.comment, reason: r.reason });
      }
    };
    report("rule rejected", set.rejected);
    report("rule adjusted", set.adjusted ?? []);
    this.#reported = current;
  }

  *#families(rules: RuleSeries | undefined, scrapeSeconds: number): Generator<MetricFamily> {
    const ns = this.namespace;
    const set = rules?.plan.set;
    if (rules && set) {
      yield {
        name: `${ns}_bytes_total`,
        help: "Bytes counted by the chain's rules, labelled by their nft(...) comments.",
        type: "counter",
        samples: columns(rules.plan.labels, rules.values, 0, 2),
      };
      yield {
        name: `${ns}_packets_total`,
        help: "Packets counted by the chain's rules, labelled by their nft(...) comments.",
        type: "counter",
        samples: columns(rules.plan.labels, rules.values, 1, 2),
      };
      yield {
        name: `${ns}_rules`,
        help: "Rules of the chain by state: exported, ignored (no nft(...) comment) or rejected (see the log).",
        type: "gauge",
        samples: Object.entries(set.counts).map(([state, n]) => ({ labels: `{state="${state}"}`, value: n })),
      };
    }
    yield gauge(`${ns}_up`, "1 when the last read of the chain succeeded, 0 otherwise.", set ? 1 : 0);
    yield gauge(
      `${ns}_scrape_duration_seconds`,
      "Time this scrape took to read the chain and apply the label policy.",
      scrapeSeconds,
    );
    if (this.#lastReadAt !== undefined) {
      yield gauge(
        `${ns}_last_read_timestamp_seconds`,
        "Time of the last successful read of the chain, in seconds since the epoch.",
        this.#lastReadAt / 1000,
      );
    }
    const stats = this.#lastStats;
    if (stats) {
      yield single(
        "counter",
        `${ns}_dump_interrupted_total`,
        "Dumps restarted because the ruleset changed while they ran (NLM_F_DUMP_INTR).",
        stats.dumpInterrupted,
      );
      yield {
        name: `${ns}_read_errors_total`,
        help: "Failed reads of the chain, by reason.",
        type: "counter",
        samples: Object.entries(stats.readErrors).map(([code, n]) => ({
          labels: `{reason="${code.replace(/^NFPROM_/, "").toLowerCase()}"}`,
          value: n as number,
        })),
      };
      yield gauge(
        `${ns}_reader_resident_memory_bytes`,
        "Resident memory of the privileged reader process.",
        stats.residentBytes,
      );
      yield single(
        "counter",
        `${ns}_reader_cpu_seconds_total`,
        "CPU time (user + system) used by the privileged reader process.",
        stats.cpuSeconds,
      );
    }
    yield {
      name: `${ns}_build_info`,
      help: "nfprom's version and the Node.js it runs on; always 1.",
      type: "gauge",
      samples: [{ labels: formatLabels(["nodejs", "version"], [process.version, VERSION]), value: 1 }],
    };
  }
}

/** single is a family of one unlabelled sample. */
function single(type: MetricType, name: string, help: string, value: number): MetricFamily {
  const samples: Sample[] = [{ labels: "", value }];
  return { name, help, type, samples };
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return single("gauge", name, help, value);
}

/**
 * seriesValues gathers this read's counters for the plan's series (its own rules may carry an older
 * read's numbers), as 32-bit words where a series is one rule, so that no bigint is made for it. Sums of
 * several rules are exact; one beyond 2^64 − 1 (only in theory: 16 EiB) switches to plain bigints.
 */
function seriesValues(series: readonly Series[], numbers: BigUint64Array): BigUint64Array | bigint[] {
  const out = new BigUint64Array(2 * series.length);
  const to = new Uint32Array(out.buffer);
  const from = new Uint32Array(numbers.buffer, numbers.byteOffset, 2 * numbers.length);
  for (let i = 0; i < series.length; i++) {
    const members = (series[i] as Series).members;
    if (members.length === 1) {
      const m = 6 * (members[0] as number);
      to.set(from.subarray(m + 2, m + 6), 4 * i);
      continue;
    }
    let bytes = 0n;
    let packets = 0n;
    for (const m of members) {
      bytes += numbers[3 * m + 1] as bigint;
      packets += numbers[3 * m + 2] as bigint;
    }
    if (bytes > U64_MAX || packets > U64_MAX) return bigSeriesValues(series, numbers);
    out[2 * i] = bytes;
    out[2 * i + 1] = packets;
  }
  return out;
}

const U64_MAX = 2n ** 64n - 1n;

function bigSeriesValues(series: readonly Series[], numbers: BigUint64Array): bigint[] {
  return series.flatMap(({ members }) => [
    members.reduce((sum, m) => sum + (numbers[3 * m + 1] as bigint), 0n),
    members.reduce((sum, m) => sum + (numbers[3 * m + 2] as bigint), 0n),
  ]);
}
