import { columns, formatLabels, type MetricFamily } from "../exposition/text.js";
import { type Finding, itemFinding } from "../labels/diagnose.js";
import { type ItemGroup, type ItemRejection, KindLabels } from "../labels/item-texts.js";
import { elementItem } from "../labels/items.js";
import { type Logger, ReportOnce } from "../log.js";
import { sameStrings } from "../model/columns.js";
import type { Snapshot } from "../model/snapshot.js";
import type { SetColumns } from "../model/source-columns.js";
import type { RenderContext, SliceRenderer } from "../sources/slice.js";
import { SLICES } from "../sources/slices.js";

/**
 * SourceRenderer renders the optional sources' sections of a snapshot (each source's SliceRenderer, in
 * the order of SLICES), their per-source success and duration, and the snapshot's age when stale serving
 * is on. Nothing at all when neither is enabled, so the seed's exposition is unchanged. Each kind of item
 * keeps its label texts from one scrape to the next (KindLabels). An item whose nft(...) comment is
 * malformed is exported with its identity labels alone, logged once, and counted in nfprom_comments_rejected.
 */
export class SourceRenderer {
  readonly #slices: SliceRenderer[];
  readonly #sets: KindLabels<SetColumns[]>;

  constructor(
    readonly ns: string,
    readonly log?: Logger,
    /** -max-label-names, applied to each kind's label names as to the rules'. */
    readonly maxLabelNames = 0,
  ) {
    const context: RenderContext = {
      ns,
      labels: (words, same) => {
        // The rejections logged: each one when it first appears, not on every scrape.
        const once = new ReportOnce(log);
        return new KindLabels(same, (rejected) => reportOnce(once, words, rejected), maxLabelNames);
      },
    };
    this.#slices = SLICES.map((slice) => slice.renderer(context));
    this.#sets = context.labels<SetColumns[]>(
      "set element",
      (a, b) => a.length === b.length && a.every((set, i) => sameSetIdentity(set, b[i] as SetColumns)),
    );
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
    for (const slice of this.#slices) yield* slice.families(snapshot);
    if (snapshot.sets) yield* this.#setFamilies(snapshot.sets);
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

  /** findings: the items whose nft(...) comment was refused in the last scrape, as `nfprom check` names them. */
  findings(): Finding[] {
    return [
      ...this.#slices.flatMap((slice) => slice.findings()),
      ...this.#sets.rejected.map((r) =>
        itemFinding(
          elementItem(
            r.labels.family ?? "",
            r.labels.table ?? "",
            r.labels.set ?? "",
            r.labels.element ?? "",
          ),
          r.comment,
          r.reason,
        ),
      ),
    ];
  }

  /** #rejectedFamily: the comments refused in the kinds this snapshot has (their texts are rendered by now). */
  *#rejectedFamily(snapshot: Snapshot): Generator<MetricFamily> {
    const counts = this.#slices.flatMap((slice) => slice.rejected(snapshot));
    if (snapshot.sets) counts.push(["set_element", this.#sets.rejected.length]);
    if (counts.length === 0) return;
    yield {
      name: `${this.ns}_comments_rejected`,
      help: "Named counters, quotas and set elements whose nft(...) comment is malformed (see the log): exported with their identity labels alone.",
      type: "gauge",
      samples: counts.map(([kind, n]) => ({ labels: formatLabels(["kind"], [kind]), value: n })),
    };
  }

  /** Rendered once the dump is complete: rendering ahead of it was slower (docs/design-notes.md). */
  *#setFamilies(sets: SetColumns[]): Generator<MetricFamily> {
    const count = sets.reduce((n, set) => n + set.keys.length, 0);
    const labels = this.#sets.texts(sets, count, () => setGroups(sets));
    const numbers = sets.length === 1 ? (sets[0] as SetColumns).numbers : concat(sets.map((s) => s.numbers));
    const help = "counted by the set element, labelled by its key and nft(...) comment.";
    const family = (name: string, what: string, offset: number): MetricFamily => ({
      name: `${this.ns}_${name}`,
      help: `${what} ${help}`,
      type: "counter",
      samples: columns(labels, numbers, offset, 2),
    });
    yield family("set_element_bytes_total", "Bytes", 0);
    yield family("set_element_packets_total", "Packets", 1);
    const perSet = sets.map((s) => formatLabels(...unzip(setIdentity(s))));
    const perSetGauge = (name: string, help: string, value: (s: SetColumns) => number): MetricFamily => ({
      name: `${this.ns}_${name}`,
      help,
      type: "gauge",
      samples: columns(perSet, sets.map(value)),
    });
    yield perSetGauge("set_elements", "Elements in the set (intervals for an interval set).", (s) => s.size);
    const declared = sets.filter((s) => s.maxSize > 0);
    if (declared.length > 0) {
      yield {
        name: `${this.ns}_set_elements_max`,
        help: "The set's declared size: most elements it may hold (sets declared with a size only).",
        type: "gauge",
        samples: columns(
          declared.map((s) => formatLabels(...unzip(setIdentity(s)))),
          declared.map((s) => s.maxSize),
        ),
      };
    }
    yield perSetGauge(
      "set_elements_left_out",
      "Elements with counters not exported because the set has more than -sets.max-elements.",
      (s) => s.leftOut,
    );
    yield perSetGauge(
      "set_elements_repeated",
      "Elements the set's dump sent more than once, exported once: the set changed during the dump, which may also have missed some (see the README).",
      (s) => s.repeated,
    );
  }
}

function sameSetIdentity(a: SetColumns, b: SetColumns): boolean {
  return (
    a.family === b.family &&
    a.table === b.table &&
    a.name === b.name &&
    sameStrings(a.keys, b.keys) &&
    sameStrings(a.comments, b.comments)
  );
}

function concat(parts: readonly BigUint64Array[]): BigUint64Array {
  const out = new BigUint64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** setGroups: one group per set, its elements told apart by the element label; texts aligned across sets. */
function setGroups(sets: SetColumns[]): ItemGroup[] {
  let at = 0;
  return sets.map((set) => {
    const group = {
      id: `${set.family}\0${set.table}\0${set.name}`,
      base: setIdentity(set),
      itemLabel: "element",
      items: set.keys,
      comments: set.comments,
      from: 0,
      to: set.keys.length,
      at,
    };
    at += set.keys.length;
    return group;
  });
}

function setIdentity(s: { family: string; table: string; name: string }): [string, string][] {
  return [
    ["family", s.family],
    ["table", s.table],
    ["set", s.name],
  ];
}

function unzip(pairs: [string, string][]): [string[], string[]] {
  return [pairs.map(([k]) => k), pairs.map(([, v]) => v)];
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
