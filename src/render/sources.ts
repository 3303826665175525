import { formatLabels, type MetricFamily } from "../exposition/text.js";
import type { Finding } from "../labels/diagnose.js";
import { type ItemRejection, KindLabels } from "../labels/item-texts.js";
import { DEFAULT_POLICY_OPTIONS, type PolicyOptions } from "../labels/policy.js";
import { type Logger, ReportOnce } from "../log.js";
import type { Snapshot } from "../model/snapshot.js";
import type { RenderContext, SliceRenderer } from "../sources/slice.js";
import { SLICES } from "../sources/slices.js";

/**
 * SourceRenderer renders every slice's sections of a snapshot (each slice's SliceRenderer, in the order of
 * SLICES): the required ones' (the rules) first, through `required`; then, through `families`, the
 * snapshot's age when stale serving is on, the optional sources' families and their per-source success and
 * duration, nothing at all of these when neither is enabled, so the seed's exposition is unchanged. Each
 * kind of item keeps its label texts from one scrape to the next (KindLabels). An item whose nft(...)
 * comment is malformed is exported with its identity labels alone, logged once, and counted in
 * nfprom_comments_rejected.
 */
export class SourceRenderer {
  readonly #required: SliceRenderer[];
  readonly #optional: SliceRenderer[];

  constructor(
    readonly ns: string,
    readonly log?: Logger,
    /** The label choices; -max-label-names applies to each kind's label names as to the rules' (default: none). */
    policy: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, maxLabelNames: 0 },
  ) {
    const maxLabelNames = policy.maxLabelNames ?? 0;
    const context: RenderContext = {
      ns,
      policy,
      ...(log && { log }),
      labels: (words, same) => {
        // The rejections logged: each one when it first appears, not on every scrape.
        const once = new ReportOnce(log);
        return new KindLabels(same, (rejected) => reportOnce(once, words, rejected), maxLabelNames);
      },
    };
    this.#required = SLICES.filter((slice) => slice.required).map((slice) => slice.renderer(context));
    this.#optional = SLICES.filter((slice) => !slice.required).map((slice) => slice.renderer(context));
  }

  /** required: the families of the slices every read has (the rules), for a read that succeeded. */
  required(snapshot: Snapshot): MetricFamily[] {
    return this.#required.flatMap((slice) => [...slice.families(snapshot)]);
  }

  *families(snapshot: Snapshot | undefined): Generator<MetricFamily> {
    const ns = this.ns;
    if (snapshot?.ageMs !== undefined) {
      yield {
        name: `${ns}_snapshot_age_seconds`,
        help: "Age of the snapshot served: 0 when read for this scrape, more when the last complete one stands in (see nfprom_stale_served_total).",
        type: "gauge",
        samples: [{ labels: "", value: snapshot.ageMs / 1000 }],
      };
    }
    if (!snapshot?.sources) return;
    for (const slice of this.#optional) yield* slice.families(snapshot);
    yield* this.#rejectedFamily(snapshot);
    const sources = snapshot.sources;
    yield {
      name: `${ns}_source_success`,
      help: "1 when the source was read completely in this scrape, 0 when it failed or missed the deadline.",
      type: "gauge",
      samples: sources.map((s) => ({ labels: formatLabels(["source"], [s.name]), value: s.ok ? 1 : 0 })),
    };
    yield {
      name: `${ns}_source_duration_seconds`,
      help: "Time the source took to read in this scrape.",
      type: "gauge",
      samples: sources.map((s) => ({
        labels: formatLabels(["source"], [s.name]),
        value: s.durationMs / 1000,
      })),
    };
  }

  /** findings: what `nfprom check` says about the last scrape's rules and refused item comments. */
  findings(): Finding[] {
    return [...this.#required, ...this.#optional].flatMap((slice) => slice.findings());
  }

  /** #rejectedFamily: the comments refused in the kinds this snapshot has (their texts are rendered by now). */
  *#rejectedFamily(snapshot: Snapshot): Generator<MetricFamily> {
    const counts = this.#optional.flatMap((slice) => slice.rejected(snapshot));
    if (counts.length === 0) return;
    yield {
      name: `${this.ns}_comments_rejected`,
      help: "Named counters, quotas, set elements and tables whose nft(...) comment is refused (malformed, or a label name beyond -max-label-names; see the log): exported with their identity labels alone.",
      type: "gauge",
      samples: counts.map(([kind, n]) => ({ labels: formatLabels(["kind"], [kind]), value: n })),
    };
  }
}

/**
 * reportOnce logs each rejection when it first appears: a script that adds thousands of set elements
 * with the same malformed comment gets a few lines and a count (nfprom_comments_rejected has them all).
 */
function reportOnce(once: ReportOnce, words: string, rejected: readonly ItemRejection[]): void {
  const msg = `${words} comment rejected`;
  for (const r of rejected) {
    const key = JSON.stringify([r.labels, r.comment, r.reason]);
    once.report(key, msg, { ...r.labels, comment: r.comment, reason: r.reason });
  }
  once.endRound();
}
