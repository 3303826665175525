import { type ErrorCode, ErrorCodes, type ErrorInfo } from "../errors.js";
import {
  columns,
  type ExpositionFormat,
  formatLabels,
  type MetricFamily,
  type MetricType,
  type Sample,
  TEXT_FORMAT,
} from "../exposition/text.js";
import type { ReadReply } from "../ipc/protocol.js";
import { type Finding, ruleFindings } from "../labels/diagnose.js";
import {
  DEFAULT_POLICY_OPTIONS,
  LabelPolicy,
  type OverLimits,
  type PolicyOptions,
  type RuleState,
  type SeriesSet,
} from "../labels/policy.js";
import type { Rejection } from "../labels/rejection.js";
import { type Logger, ReportOnce } from "../log.js";
import { sameStrings, u64Words } from "../model/columns.js";
import {
  BYTES_WORD,
  bytesOf,
  packetsOf,
  type RuleColumns,
  rulesFromColumns,
  sameStructure,
  WORDS_PER_RULE,
} from "../model/rule-columns.js";
import { RETRY_REASONS, type ReaderStats, type Snapshot, STALE_REASONS } from "../model/snapshot.js";
import { VERSION } from "../version.js";
import { NetnsScrapers } from "./netns.js";
import { SourceRenderer } from "./sources.js";

export type ScrapeInput = ReadReply | { type: "lost"; error: ErrorInfo };

/**
 * RulePlan is what the label policy decided for one structure of a chain's rules (handles, comments,
 * locations, derived labels: rule-columns.ts sameStructure): each series' rendered label text and the
 * rules it sums. Between two scrapes usually only counter values change: then the plan is reused as it
 * is, and a scrape costs a pass over the counter columns instead of the policy and an object per rule.
 * It is kept compact (strings and two Int32Arrays) because it lives as long as the chain is unchanged.
 */
interface RulePlan {
  rules: RuleColumns;
  derivedLabels: readonly string[];
  counts: Record<RuleState, number>;
  overLimits: OverLimits;
  labels: string[];
  /** Series i sums the rules members[starts[i]] up to members[starts[i + 1]] (excluded). */
  starts: Int32Array;
  members: Int32Array;
  /** The rules the policy rejected or adjusted, for the live view's findings. */
  verdicts: Pick<SeriesSet, "rejected" | "adjusted">;
  /** `nfprom check`'s findings for these rules, made when the live view first asks for them. */
  findings?: Finding[];
}

/** LastScrape: the families of the last scrape (or live view read) and when it was made. */
export interface LastScrape {
  families: readonly MetricFamily[];
  /** Wall-clock time (ms since the epoch) the families were made. */
  atMs: number;
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
  readonly #reported: ReportOnce;
  #lastReadAt: number | undefined;
  #lastStats: ReaderStats | undefined;
  #last: LastScrape | undefined;
  /** With -netns: a scraper per namespace (created at the first such read). */
  #netns: NetnsScrapers | undefined;

  constructor(
    readonly namespace: string,
    readonly log: Logger,
    /** Families appended to every exposition (the web process's process_* metrics). */
    readonly extraFamilies: () => Iterable<MetricFamily> = () => [],
    /** -all-rules and -duplicates (see labels/policy.ts). */
    policy: PolicyOptions = DEFAULT_POLICY_OPTIONS,
  ) {
    this.#policy = new LabelPolicy(policy);
    this.#reported = new ReportOnce(log);
    this.#sources = new SourceRenderer(namespace, log, policy.maxLabelNames ?? 0);
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
    const families = this.take(input, startedAt);
    return this.#measured(format.chunks(families, chunkBytes, this.#lastLength + 4096));
  }

  /**
   * take takes in the read's result: the families of one exposition, kept as the last scrape's (the live
   * view answers from them).
   */
  take(input: ScrapeInput, startedAt: bigint): MetricFamily[] {
    if (input.type === "namespaces") return this.#takeNamespaces(input, startedAt);
    let rules: RuleSeries | undefined;
    if (input.type === "snapshot") {
      rules = this.#ruleSeries(input.snapshot);
      this.#lastReadAt = input.snapshot.readAtMs;
    } else {
      this.log.warnRepeated("scrape without data", "scrape without data", {
        code: input.error.code,
        err: input.error.message,
      });
    }
    if (input.type !== "lost") this.#lastStats = input.stats;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const snapshot = input.type === "snapshot" ? input.snapshot : undefined;
    const families = [
      ...this.#families(rules, seconds, snapshot),
      ...this.#sources.families(snapshot),
      ...this.extraFamilies(),
    ];
    this.#last = { families, atMs: Date.now() };
    return families;
  }

  /**
   * #takeNamespaces: a -netns read. Every family of a namespace's own read carries its `netns` label
   * (render/netns.ts); nfprom's own families (PROCESS_FAMILIES) appear once, unlabelled, as without -netns.
   */
  #takeNamespaces(input: Extract<ScrapeInput, { type: "namespaces" }>, startedAt: bigint): MetricFamily[] {
    this.#lastStats = input.stats;
    this.#netns ??= new NetnsScrapers(
      () => new Scraper(this.namespace, this.log, undefined, this.#policy.options),
      (name) => PROCESS_FAMILIES.has(name.slice(this.namespace.length + 1)),
    );
    const perNetns = this.#netns.families(input.namespaces, input.stats, startedAt);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const own = [...this.#families(undefined, seconds, undefined)].filter((family) =>
      PROCESS_FAMILIES.has(family.name.slice(this.namespace.length + 1)),
    );
    const families = [
      ...perNetns,
      gauge(
        `${this.namespace}_netns_selected`,
        "Network namespaces the -netns selection matched at this scrape (each one's series carry its netns label).",
        input.namespaces.length,
      ),
      ...own,
      ...this.extraFamilies(),
    ];
    this.#last = { families, atMs: Date.now() };
    return families;
  }

  get last(): LastScrape | undefined {
    return this.#last;
  }

  /**
   * findings: what `nfprom check` says about the rules of the last read (made once per structure of the
   * chain, from the policy's own verdicts) and about the items whose comment was refused.
   */
  findings(): Finding[] {
    const plan = this.#plan;
    if (plan && !plan.findings)
      plan.findings = ruleFindings(
        rulesFromColumns(plan.rules),
        plan.verdicts,
        this.#policy.options.allRules,
      );
    return [...(plan?.findings ?? []), ...this.#sources.findings(), ...(this.#netns?.findings() ?? [])];
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
  #ruleSeries(snapshot: Snapshot): RuleSeries {
    const derivedLabels = snapshot.derivedLabels ?? [];
    let plan = this.#plan;
    if (
      !plan ||
      !sameStructure(plan.rules, snapshot.rules) ||
      !sameStrings(plan.derivedLabels, derivedLabels)
    ) {
      const set = this.#policy.evaluate(snapshot.rules, derivedLabels);
      this.#reportOnce(set);
      plan = planOf(snapshot.rules, derivedLabels, set);
      this.#plan = plan;
    }
    return { plan, values: seriesValues(plan, snapshot.rules.numbers) };
  }

  #reportOnce(set: SeriesSet): void {
    const report = (msg: string, rules: readonly Rejection[]) => {
      for (const r of rules) {
        const key = `${msg}\0${r.handle}\0${r.comment}\0${r.reason}`;
        this.#reported.report(key, msg, { handle: r.handle, comment: r.comment, reason: r.reason });
      }
    };
    report("rule rejected", set.rejected);
    report("rule adjusted", set.adjusted ?? []);
    this.#reported.endRound();
  }

  *#families(
    rules: RuleSeries | undefined,
    scrapeSeconds: number,
    snapshot: Snapshot | undefined,
  ): Generator<MetricFamily> {
    const ns = this.namespace;
    const plan = rules?.plan;
    if (rules && plan) {
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
        samples: Object.entries(plan.counts).map(([state, n]) => ({
          labels: `{state="${state}"}`,
          value: n,
        })),
      };
      yield {
        name: `${ns}_rules_over_label_limits`,
        help: "Rules the label limits affected: rejected for a label name beyond -max-label-names, or exported with a -rule-labels value emptied by -max-label-value-length.",
        type: "gauge",
        samples: [
          { labels: `{limit="label_names"}`, value: plan.overLimits.labelNames },
          { labels: `{limit="label_value_length"}`, value: plan.overLimits.labelValueLength },
        ],
      };
    }
    yield gauge(`${ns}_up`, "1 when the last read of the chain succeeded, 0 otherwise.", plan ? 1 : 0);
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
    if (snapshot?.generation !== undefined && snapshot.generationSinceMs !== undefined) {
      yield gauge(
        `${ns}_ruleset_generation`,
        "The nf_tables ruleset generation the read saw: the kernel's counter of committed ruleset transactions (each reload moves it).",
        snapshot.generation,
      );
      yield gauge(
        `${ns}_ruleset_last_change_timestamp_seconds`,
        "When nfprom first saw the current ruleset generation, in seconds since the epoch: the last reload it saw (or its own start), after which rule counters may have restarted from 0.",
        snapshot.generationSinceMs / 1000,
      );
    }
    const stats = this.#lastStats;
    if (stats) {
      const { retries, staleServed, readErrors } = stats;
      yield single(
        "counter",
        `${ns}_dump_interrupted_total`,
        "Reads restarted because the ruleset changed while they ran: the sum of nfprom_read_retries_total.",
        RETRY_REASONS.reduce((sum, reason) => sum + retries[reason], 0),
      );
      yield reasons(
        `${ns}_read_retries_total`,
        "Reads thrown away and started again: the dump was torn (NLM_F_DUMP_INTR, rules out of order), or the ruleset generation moved during the read.",
        RETRY_REASONS.map((reason) => [reason, retries[reason]]),
      );
      yield reasons(
        `${ns}_stale_served_total`,
        "Scrapes answered with the last complete snapshot: no read proven whole fitted the deadline while the ruleset kept changing, or (with -read.background-timeout) the dump was still running.",
        STALE_REASONS.map((reason) => [reason, staleServed[reason]]),
      );
      yield reasons(
        `${ns}_read_errors_total`,
        "Failed reads, by reason.",
        READ_ERROR_CODES.map((code) => [reasonOf(code), readErrors[code] ?? 0]),
      );
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

/** nfprom's own families (names after the prefix): about the process, never about one namespace. */
const PROCESS_FAMILIES = new Set([
  "scrape_duration_seconds",
  "dump_interrupted_total",
  "read_retries_total",
  "stale_served_total",
  "read_errors_total",
  "reader_resident_memory_bytes",
  "reader_cpu_seconds_total",
  "build_info",
]);

/** Every reason a read can fail for, so that nfprom_read_errors_total starts at 0 for each of them. */
const READ_ERROR_CODES = Object.values(ErrorCodes).filter((code) => code !== ErrorCodes.READER_GONE);

/** reasonOf turns an error code into its `reason` label: NFPROM_NO_TABLE → no_table. */
function reasonOf(code: ErrorCode): string {
  return code.replace(/^NFPROM_/, "").toLowerCase();
}

/** reasons is a counter family with one sample per reason, each present from the start (0). */
function reasons(name: string, help: string, counts: [string, number][]): MetricFamily {
  return {
    name,
    help,
    type: "counter",
    samples: counts.map(([reason, value]) => ({ labels: formatLabels(["reason"], [reason]), value })),
  };
}

/** single is a family of one unlabelled sample. */
function single(type: MetricType, name: string, help: string, value: number): MetricFamily {
  const samples: Sample[] = [{ labels: "", value }];
  return { name, help, type, samples };
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return single("gauge", name, help, value);
}

/** planOf keeps of a policy result what later scrapes need: label texts and members, no rule objects. */
function planOf(rules: RuleColumns, derivedLabels: readonly string[], set: SeriesSet): RulePlan {
  const labels = set.values.map((values) => formatLabels(set.keys, values));
  const { counts, overLimits, starts, members, rejected, adjusted } = set;
  return {
    rules,
    derivedLabels,
    counts,
    overLimits,
    labels,
    starts,
    members,
    verdicts: { rejected, adjusted },
  };
}

/**
 * seriesValues gathers this read's counters for the plan's series (its own rules may carry an older
 * read's numbers), as 32-bit words where a series is one rule, so that no bigint is made for it. Sums of
 * several rules are exact; one beyond 2^64 − 1 (only in theory: 16 EiB) switches to plain bigints.
 */
function seriesValues(plan: RulePlan, numbers: BigUint64Array): BigUint64Array | bigint[] {
  const { starts, members } = plan;
  const count = starts.length - 1;
  const out = new BigUint64Array(2 * count);
  const to = u64Words(out);
  const from = u64Words(numbers);
  for (let i = 0; i < count; i++) {
    const [first, end] = [starts[i] as number, starts[i + 1] as number];
    if (end - first === 1) {
      // Word by word: a subarray per series was most of this loop's time and garbage at 100k series.
      const m = WORDS_PER_RULE * (members[first] as number) + BYTES_WORD;
      const o = 4 * i;
      to[o] = from[m] as number;
      to[o + 1] = from[m + 1] as number;
      to[o + 2] = from[m + 2] as number;
      to[o + 3] = from[m + 3] as number;
      continue;
    }
    const [bytes, packets] = sumOf(members.subarray(first, end), numbers);
    if (bytes > U64_MAX || packets > U64_MAX) return bigSeriesValues(plan, numbers);
    out[2 * i] = bytes;
    out[2 * i + 1] = packets;
  }
  return out;
}

/** sumOf adds the bytes and packets of rules `of`. */
function sumOf(of: Int32Array, numbers: BigUint64Array): [bigint, bigint] {
  let bytes = 0n;
  let packets = 0n;
  for (const m of of) {
    bytes += bytesOf(numbers, m);
    packets += packetsOf(numbers, m);
  }
  return [bytes, packets];
}

const U64_MAX = 2n ** 64n - 1n;

function bigSeriesValues({ starts, members }: RulePlan, numbers: BigUint64Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i + 1 < starts.length; i++)
    out.push(...sumOf(members.subarray(starts[i], starts[i + 1]), numbers));
  return out;
}
