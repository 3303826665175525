import { columns, formatLabels, type MetricFamily } from "../exposition/text.js";
import { type Finding, itemFinding } from "../labels/diagnose.js";
import { type ItemGroup, ItemLabelTexts, type ItemRejection } from "../labels/item-texts.js";
import { counterItem, elementItem, type ItemKind, quotaItem } from "../labels/items.js";
import { type Logger, ReportOnce } from "../log.js";
import { sameBytes, sameStrings } from "../model/columns.js";
import type { Quota, Snapshot } from "../model/snapshot.js";
import type { CounterColumns, SetColumns } from "../model/source-columns.js";

const KIND_WORDS: Record<ItemKind, string> = {
  counter: "named counter",
  quota: "quota",
  set_element: "set element",
};

/**
 * SourceRenderer renders the optional sources' sections of a snapshot (named counters, quotas, set
 * elements), their per-source success and duration, and the snapshot's age when stale serving is on.
 * Nothing at all when neither is enabled, so the seed's exposition is unchanged. It keeps each kind's
 * label text from one scrape to the next (see KindLabels). An item whose nft(...) comment is malformed
 * is exported with its identity labels alone, logged once, and counted in nfprom_comments_rejected.
 */
export class SourceRenderer {
  readonly #counters: KindLabels<CounterColumns>;
  readonly #quotas: KindLabels<Quota[]>;
  readonly #sets: KindLabels<SetColumns[]>;
  /** The rejections logged, per kind: each one when it first appears, not on every scrape. */
  readonly #reported: Record<ItemKind, ReportOnce>;

  constructor(
    readonly ns: string,
    readonly log?: Logger,
    /** -max-label-names, applied to each kind's label names as to the rules'. */
    readonly maxLabelNames = 0,
  ) {
    this.#reported = {
      counter: new ReportOnce(log),
      quota: new ReportOnce(log),
      set_element: new ReportOnce(log),
    };
    this.#counters = new KindLabels<CounterColumns>(
      sameCounterIdentity,
      (r) => this.#reportOnce("counter", r),
      maxLabelNames,
    );
    this.#quotas = new KindLabels<Quota[]>(
      () => false,
      (r) => this.#reportOnce("quota", r),
      maxLabelNames,
    );
    this.#sets = new KindLabels<SetColumns[]>(
      (a, b) => a.length === b.length && a.every((set, i) => sameSetIdentity(set, b[i] as SetColumns)),
      (r) => this.#reportOnce("set_element", r),
      maxLabelNames,
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
    if (snapshot.counters) yield* this.#counterFamilies(snapshot.counters);
    if (snapshot.quotas) yield* this.#quotaFamilies(snapshot.quotas);
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
    const finding = (r: ItemRejection, item: (label: (k: string) => string) => string) =>
      itemFinding(
        item((k) => r.labels[k] ?? ""),
        r.comment,
        r.reason,
      );
    return [
      ...this.#counters.rejected.map((r) =>
        finding(r, (l) => counterItem(l("family"), l("table"), l("name"))),
      ),
      ...this.#quotas.rejected.map((r) => finding(r, (l) => quotaItem(l("family"), l("table"), l("name")))),
      ...this.#sets.rejected.map((r) =>
        finding(r, (l) => elementItem(l("family"), l("table"), l("set"), l("element"))),
      ),
    ];
  }

  /** #rejectedFamily: the comments refused in the kinds this snapshot has (their texts are rendered by now). */
  *#rejectedFamily(snapshot: Snapshot): Generator<MetricFamily> {
    const counts: [ItemKind, number][] = [];
    if (snapshot.counters) counts.push(["counter", this.#counters.rejected.length]);
    if (snapshot.quotas) counts.push(["quota", this.#quotas.rejected.length]);
    if (snapshot.sets) counts.push(["set_element", this.#sets.rejected.length]);
    if (counts.length === 0) return;
    yield {
      name: `${this.ns}_comments_rejected`,
      help: "Named counters, quotas and set elements whose nft(...) comment is malformed (see the log): exported with their identity labels alone.",
      type: "gauge",
      samples: counts.map(([kind, n]) => ({ labels: formatLabels(["kind"], [kind]), value: n })),
    };
  }

  /**
   * #reportOnce logs each rejection when it first appears: a script that adds thousands of set elements
   * with the same malformed comment gets a few lines and a count (nfprom_comments_rejected has them all).
   */
  #reportOnce(kind: ItemKind, rejected: readonly ItemRejection[]): void {
    const once = this.#reported[kind];
    const msg = `${KIND_WORDS[kind]} comment rejected`;
    for (const r of rejected) {
      const key = JSON.stringify([r.labels, r.comment, r.reason]);
      once.report(key, msg, { ...r.labels, comment: r.comment, reason: r.reason });
    }
    once.endRound();
  }

  *#counterFamilies(counters: CounterColumns): Generator<MetricFamily> {
    const labels = this.#counters.texts(counters, counters.names.length, () => counterGroups(counters));
    const help = "counted by the named counter object, labelled by its name and nft(...) comment.";
    const family = (name: string, what: string, offset: number): MetricFamily => ({
      name: `${this.ns}_${name}`,
      help: `${what} ${help}`,
      type: "counter",
      samples: columns(labels, counters.numbers, offset, 2),
    });
    yield family("object_bytes_total", "Bytes", 0);
    yield family("object_packets_total", "Packets", 1);
  }

  *#quotaFamilies(quotas: Quota[]): Generator<MetricFamily> {
    const labels = this.#quotas.texts(quotas, quotas.length, () => quotaGroups(quotas));
    const gauge = (name: string, help: string, values: (bigint | number)[]): MetricFamily => ({
      name: `${this.ns}_${name}`,
      help,
      type: "gauge",
      samples: columns(labels, values),
    });
    yield gauge(
      "quota_used_bytes",
      "Bytes the quota has used (nft reset quota sets it back to 0).",
      quotas.map((q) => q.usedBytes),
    );
    yield gauge(
      "quota_limit_bytes",
      "Bytes the quota allows; mode=over matches beyond it, until up to it.",
      quotas.map((q) => q.limitBytes),
    );
    yield gauge(
      "quota_exhausted",
      "1 when the kernel flags the quota as used up, 0 otherwise.",
      quotas.map((q) => (q.depleted ? 1 : 0)),
    );
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

function sameCounterIdentity(a: CounterColumns, b: CounterColumns): boolean {
  return (
    a.tables.length === b.tables.length &&
    a.tables.every((t, i) => t.family === b.tables[i]?.family && t.table === b.tables[i]?.table) &&
    sameBytes(a.tableOf, b.tableOf) &&
    sameStrings(a.names, b.names) &&
    sameStrings(a.comments, b.comments)
  );
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

/**
 * KindLabels keeps one kind's rendered label texts (named counters, quotas or set elements) with the
 * identity columns they were rendered from. While a new read has the same identity (the common case:
 * only counter values moved), the texts are reused without looking at an item; otherwise they are
 * rendered again by ItemLabelTexts, which still reuses what it can item by item, and the items whose
 * comment was refused go to `report`.
 */
class KindLabels<C> {
  #identity: C | undefined;
  #texts: string[] = [];
  #rejected: ItemRejection[] = [];
  readonly #items: ItemLabelTexts;

  constructor(
    readonly same: (a: C, b: C) => boolean,
    readonly report: (rejected: readonly ItemRejection[]) => void,
    maxLabelNames: number,
  ) {
    this.#items = new ItemLabelTexts(maxLabelNames);
  }

  /** rejected: the items of the last texts whose comment was refused. */
  get rejected(): readonly ItemRejection[] {
    return this.#rejected;
  }

  texts(identity: C, count: number, groups: () => ItemGroup[]): string[] {
    if (this.#identity === undefined || !this.same(this.#identity, identity)) {
      ({ texts: this.#texts, rejected: this.#rejected } = this.#items.render(groups(), count));
      this.#identity = identity;
      this.report(this.#rejected);
    }
    return this.#texts;
  }
}

/** counterGroups: one group per run of counters of one table (CounterColumns lists a table per run). */
function counterGroups(counters: CounterColumns): ItemGroup[] {
  const groups: ItemGroup[] = [];
  for (let i = 0; i < counters.names.length; ) {
    const t = counters.tableOf[i] as number;
    let to = i + 1;
    while (to < counters.names.length && counters.tableOf[to] === t) to++;
    const { family, table } = counters.tables[t] as { family: string; table: string };
    const base: [string, string][] = [
      ["family", family],
      ["table", table],
    ];
    groups.push({
      id: `${family}\0${table}`,
      base,
      itemLabel: "name",
      items: counters.names,
      comments: counters.comments,
      from: i,
      to,
      at: i,
    });
    i = to;
  }
  return groups;
}

/** quotaGroups: one group per quota (quotas are few), its mode among the group's labels. */
function quotaGroups(quotas: Quota[]): ItemGroup[] {
  const names = quotas.map((q) => q.name);
  const comments = quotas.map((q) => q.comment);
  return quotas.map((q, i) => ({
    id: `${q.family}\0${q.table}\0${q.inverted ? "over" : "until"}`,
    base: [
      ["family", q.family],
      ["table", q.table],
      ["mode", q.inverted ? "over" : "until"],
    ],
    itemLabel: "name",
    items: names,
    comments,
    from: i,
    to: i + 1,
    at: i,
  }));
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
