import type { ErrorInfo } from "../errors.js";
import {
  type ExpositionFormat,
  formatLabels,
  type MetricFamily,
  type MetricType,
  type Sample,
  TEXT_FORMAT,
} from "../exposition/text.js";
import type { ReadReply } from "../ipc/protocol.js";
import {
  DEFAULT_POLICY_OPTIONS,
  LabelPolicy,
  type PolicyOptions,
  type Rejection,
  type SeriesSet,
} from "../labels/policy.js";
import type { Logger } from "../log.js";
import type { ReaderStats } from "../model/snapshot.js";
import { VERSION } from "../version.js";
import { sourceFamilies } from "./sources.js";

export type ScrapeInput = ReadReply | { type: "lost"; error: ErrorInfo };

/**
 * Scraper turns the reader's answer into one exposition: the rule counters (through the label policy)
 * and nfprom's own metrics. It remembers which rules it has already reported, so a rejected rule is
 * logged once, not on every scrape, and forgets rules that are gone.
 */
export class Scraper {
  readonly #policy: LabelPolicy;
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
  }

  /** render builds one exposition in `format` (text 0.0.4 unless the scraper negotiated OpenMetrics). */
  render(input: ScrapeInput, startedAt: bigint, format: ExpositionFormat = TEXT_FORMAT): string {
    let set: SeriesSet | undefined;
    if (input.type === "snapshot") {
      set = this.#policy.evaluate(input.snapshot.rules, input.snapshot.derivedLabels);
      this.#reportOnce(set);
      this.#lastReadAt = input.snapshot.readAtMs;
    } else {
      this.log.warn("scrape without data", { code: input.error.code, err: input.error.message });
    }
    if (input.type !== "lost") this.#lastStats = input.stats;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const snapshot = input.type === "snapshot" ? input.snapshot : undefined;
    return format.render([
      ...this.#families(set, seconds),
      ...sourceFamilies(this.namespace, snapshot),
      ...this.extraFamilies(),
    ]);
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

  *#families(set: SeriesSet | undefined, scrapeSeconds: number): Generator<MetricFamily> {
    const ns = this.namespace;
    if (set) {
      const keysId = set.keys.join(",");
      const labelsOf = set.series.map((s) => this.#labelsText(set.keys, keysId, s.values));
      yield {
        name: `${ns}_bytes_total`,
        help: "Bytes counted by the chain's rules, labelled by their nft(...) comments.",
        type: "counter",
        samples: set.series.map((s, i) => ({ labels: labelsOf[i] as string, value: s.bytes })),
      };
      yield {
        name: `${ns}_packets_total`,
        help: "Packets counted by the chain's rules, labelled by their nft(...) comments.",
        type: "counter",
        samples: set.series.map((s, i) => ({ labels: labelsOf[i] as string, value: s.packets })),
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
