import { formatLabels, type MetricFamily, type Sample } from "../exposition/text.js";
import { parseComment } from "../labels/comment.js";
import { labelNameProblem } from "../labels/policy.js";
import type { Snapshot } from "../model/snapshot.js";

/** Labelled is one series-to-be: its fixed labels (identity) and its comment, parsed into more labels. */
interface Labelled {
  base: [string, string][];
  comment: string | undefined;
}

/**
 * sourceFamilies renders the optional sources' sections of a snapshot (named counters, quotas, set
 * elements), their per-source success and duration, and the snapshot's age when stale serving is on.
 * Nothing at all when neither is enabled, so the seed's exposition is unchanged.
 */
export function* sourceFamilies(ns: string, snapshot: Snapshot | undefined): Generator<MetricFamily> {
  if (snapshot?.ageMs !== undefined) {
    yield {
      name: `${ns}_snapshot_age_seconds`,
      help: "Age of the rule counters served: 0 when read for this scrape, more when a slow dump missed the deadline.",
      type: "gauge",
      samples: [{ labels: "", value: snapshot.ageMs / 1000 }],
    };
  }
  if (!snapshot?.sources) return;
  if (snapshot.counters) yield* counterFamilies(ns, snapshot.counters);
  if (snapshot.quotas) yield* quotaFamilies(ns, snapshot.quotas);
  if (snapshot.sets) yield* setFamilies(ns, snapshot.sets);
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
    samples: sources.map((s) => ({ labels: formatLabels(["source"], [s.name]), value: s.durationMs / 1000 })),
  };
}

function* counterFamilies(ns: string, counters: NonNullable<Snapshot["counters"]>): Generator<MetricFamily> {
  const labels = labelSets(counters.map((c) => ({ base: identity(c), comment: c.comment })));
  const help = "counted by the named counter object, labelled by its name and nft(...) comment.";
  yield counter(
    `${ns}_object_bytes_total`,
    `Bytes ${help}`,
    labels,
    counters.map((c) => c.bytes),
  );
  yield counter(
    `${ns}_object_packets_total`,
    `Packets ${help}`,
    labels,
    counters.map((c) => c.packets),
  );
}

function* quotaFamilies(ns: string, quotas: NonNullable<Snapshot["quotas"]>): Generator<MetricFamily> {
  const labels = labelSets(
    quotas.map((q) => ({
      base: [...identity(q), ["mode", q.inverted ? "over" : "until"]] as [string, string][],
      comment: q.comment,
    })),
  );
  const gauge = (name: string, help: string, values: (bigint | number)[]): MetricFamily => ({
    name: `${ns}_${name}`,
    help,
    type: "gauge",
    samples: samples(labels, values),
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

function* setFamilies(ns: string, sets: NonNullable<Snapshot["sets"]>): Generator<MetricFamily> {
  const items: Labelled[] = [];
  const bytes: bigint[] = [];
  const packets: bigint[] = [];
  for (const set of sets) {
    const where = setIdentity(set);
    for (const e of set.elements) {
      items.push({ base: [...where, ["element", e.key]], comment: e.comment });
      bytes.push(e.bytes);
      packets.push(e.packets);
    }
  }
  const labels = labelSets(items);
  const help = "counted by the set element, labelled by its key and nft(...) comment.";
  yield counter(`${ns}_set_element_bytes_total`, `Bytes ${help}`, labels, bytes);
  yield counter(`${ns}_set_element_packets_total`, `Packets ${help}`, labels, packets);
  const perSet = sets.map((s) => formatLabels(...unzip(setIdentity(s))));
  yield {
    name: `${ns}_set_elements`,
    help: "Elements in the set (intervals for an interval set).",
    type: "gauge",
    samples: samples(
      perSet,
      sets.map((s) => s.size),
    ),
  };
  yield {
    name: `${ns}_set_elements_left_out`,
    help: "Elements with counters not exported because the set has more than -sets.max-elements.",
    type: "gauge",
    samples: samples(
      perSet,
      sets.map((s) => s.leftOut),
    ),
  };
}

function identity(o: { family: string; table: string; name: string }): [string, string][] {
  return [
    ["family", o.family],
    ["table", o.table],
    ["name", o.name],
  ];
}

function setIdentity(s: { family: string; table: string; name: string }): [string, string][] {
  return [
    ["family", s.family],
    ["table", s.table],
    ["set", s.name],
  ];
}

/**
 * labelSets renders each item's labels: its identity plus the keys of a valid `nft(...)` comment, over
 * the union of all items' keys (a missing key is the empty value, as for rules). A comment key that
 * clashes with an identity label is kept as `exported_<key>`; an invalid comment adds no labels, since
 * the identity alone already makes the series unique. Built without a Map per item: 100k set elements
 * or counters are common.
 */
function labelSets(items: readonly Labelled[]): string[] {
  const kind = items[0]?.base.map(([k]) => k).join(",") ?? "";
  let cache = caches.get(kind);
  if (!cache) {
    cache = new LabelTextCache();
    caches.set(kind, cache);
  }
  return cache.render(items);
}

/** One cache per kind of item (named counters, quotas, set elements: each has its own identity labels). */
const caches = new Map<string, LabelTextCache>();

/**
 * LabelTextCache keeps, from one scrape to the next, each comment's parsed labels and each item's rendered
 * label text, keyed by the item's identity values and comment: 100k set elements or counters rarely change
 * between scrapes, and parsing, aligning and escaping them anew was most of a scrape's cost. Entries not
 * seen in a scrape are dropped at its end; a change of the label names starts over.
 */
class LabelTextCache {
  #comments = new Map<string, [string, string][] | undefined>();
  #texts = new Map<string, string>();
  #names = "";

  render(items: readonly Labelled[]): string[] {
    const comments = new Map<string, [string, string][] | undefined>();
    for (const { base, comment } of items) {
      if (comment === undefined || comments.has(comment)) continue;
      comments.set(
        comment,
        this.#comments.has(comment) ? this.#comments.get(comment) : commentLabels(comment, base),
      );
    }
    this.#comments = comments;
    const keys = new Set<string>();
    for (const [k] of items[0]?.base ?? []) keys.add(k);
    for (const pairs of comments.values()) for (const [k] of pairs ?? []) keys.add(k);
    const names = [...keys].sort();
    const namesId = names.join(",");
    const previous = namesId === this.#names ? this.#texts : new Map<string, string>();
    const texts = new Map<string, string>();
    const index = new Map(names.map((k, i) => [k, i]));
    const out = items.map(({ base, comment }) => {
      let id = comment ?? "";
      for (const [, v] of base) id += `\0${v}`;
      let text = texts.get(id) ?? previous.get(id);
      if (text === undefined) {
        const values = new Array<string>(names.length).fill("");
        for (const [k, v] of base) values[index.get(k) as number] = v;
        for (const [k, v] of (comment === undefined ? undefined : comments.get(comment)) ?? []) {
          values[index.get(k) as number] = v;
        }
        text = formatLabels(names, values);
      }
      texts.set(id, text);
      return text;
    });
    this.#texts = texts;
    this.#names = namesId;
    return out;
  }
}

/** commentLabels: the label pairs of a valid `nft(...)` comment, renamed `exported_<key>` on a clash. */
function commentLabels(comment: string, base: readonly [string, string][]): [string, string][] | undefined {
  const parsed = parseComment(comment);
  if (parsed.kind !== "labels") return undefined;
  if ([...parsed.labels.keys()].some((k) => labelNameProblem(k))) return undefined;
  const taken = new Set(base.map(([k]) => k));
  return [...parsed.labels].map(([k, v]) => [taken.has(k) ? `exported_${k}` : k, v]);
}

function counter(name: string, help: string, labels: string[], values: bigint[]): MetricFamily {
  return { name, help, type: "counter", samples: samples(labels, values) };
}

function samples(labels: readonly string[], values: readonly (bigint | number)[]): Sample[] {
  return labels.map((l, i) => ({ labels: l, value: values[i] as bigint | number }));
}

function unzip(pairs: [string, string][]): [string[], string[]] {
  return [pairs.map(([k]) => k), pairs.map(([, v]) => v)];
}
