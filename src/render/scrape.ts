import { type ErrorCode, ErrorCodes, type ErrorInfo } from "../errors.js";
import {
  type ExpositionFormat,
  formatLabels,
  type MetricFamily,
  type MetricType,
  type Sample,
  TEXT_FORMAT,
} from "../exposition/text.js";
import type { ReadReply } from "../ipc/protocol.js";
import type { Finding } from "../labels/diagnose.js";
import { DEFAULT_POLICY_OPTIONS, type PolicyOptions } from "../labels/policy.js";
import type { Logger } from "../log.js";
import { RETRY_REASONS, type ReaderStats, type Snapshot, STALE_REASONS } from "../model/snapshot.js";
import { VERSION } from "../version.js";
import { NetnsScrapers } from "./netns.js";
import { SourceRenderer } from "./sources.js";

export type ScrapeInput = ReadReply | { type: "lost"; error: ErrorInfo };

/** LastScrape: the families of the last scrape (or live view read) and when it was made. */
export interface LastScrape {
  families: readonly MetricFamily[];
  /** Wall-clock time (ms since the epoch) the families were made. */
  atMs: number;
}

/**
 * Scraper turns the reader's answer into one exposition: every slice's families (SourceRenderer: the rule
 * counters through the label policy, the optional sources) and nfprom's own metrics.
 */
export class Scraper {
  readonly #policy: PolicyOptions;
  readonly #sources: SourceRenderer;
  #lastLength = 0;
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
    this.#policy = policy;
    this.#sources = new SourceRenderer(namespace, log, policy);
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
    let required: MetricFamily[] = [];
    if (input.type === "snapshot") {
      required = this.#sources.required(input.snapshot);
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
      ...required,
      ...this.#families(seconds, snapshot),
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
      () => new Scraper(this.namespace, this.log, undefined, this.#policy),
      (name) => PROCESS_FAMILIES.has(name.slice(this.namespace.length + 1)),
    );
    const perNetns = this.#netns.families(input.namespaces, input.stats, startedAt);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const own = [...this.#families(seconds, undefined)].filter((family) =>
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
    return [...this.#sources.findings(), ...(this.#netns?.findings() ?? [])];
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

  /** #families: nfprom's own families, about the read and the processes. */
  *#families(scrapeSeconds: number, snapshot: Snapshot | undefined): Generator<MetricFamily> {
    const ns = this.namespace;
    yield gauge(`${ns}_up`, "1 when the last read of the chain succeeded, 0 otherwise.", snapshot ? 1 : 0);
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
