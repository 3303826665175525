import { columns, formatLabels, type MetricFamily } from "../exposition/text.js";
import { type PackedCounters, type PackedSet, sameBytes, sameStrings } from "../ipc/packed-sources.js";
import type { WireSnapshot } from "../ipc/protocol.js";
import { parseComment } from "../labels/comment.js";
import { labelNameProblem } from "../labels/policy.js";
import type { Quota } from "../model/snapshot.js";

/** Labelled is one series-to-be: its fixed labels (identity) and its comment, parsed into more labels. */
interface Labelled {
  base: [string, string][];
  comment: string | undefined;
}

/**
 * SourceRenderer renders the optional sources' sections of a snapshot (named counters, quotas, set
 * elements), their per-source success and duration, and the snapshot's age when stale serving is on.
 * Nothing at all when neither is enabled, so the seed's exposition is unchanged. It keeps each kind's
 * label text from one scrape to the next (see KindLabels).
 */
export class SourceRenderer {
  readonly #counters = new KindLabels<PackedCounters>(sameCounterIdentity);
  readonly #quotas = new KindLabels<Quota[]>(() => false);
  readonly #sets = new KindLabels<PackedSet[]>(
    (a, b) => a.length === b.length && a.every((set, i) => sameSetIdentity(set, b[i] as PackedSet)),
  );

  constructor(readonly ns: string) {}

  *families(snapshot: WireSnapshot | undefined): Generator<MetricFamily> {
    const ns = this.ns;
    if (snapshot?.ageMs !== undefined) {
      yield {
        name: `${ns}_snapshot_age_seconds`,
        help: "Age of the rule counters served: 0 when read for this scrape, more when a slow dump missed the deadline.",
        type: "gauge",
        samples: [{ labels: "", value: snapshot.ageMs / 1000 }],
      };
    }
    if (!snapshot?.sources) return;
    if (snapshot.counters) yield* this.#counterFamilies(snapshot.counters);
    if (snapshot.quotas) yield* this.#quotaFamilies(snapshot.quotas);
    if (snapshot.sets) yield* this.#setFamilies(snapshot.sets);
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

  *#counterFamilies(counters: PackedCounters): Generator<MetricFamily> {
    const labels = this.#counters.texts(counters, () =>
      counters.names.map((name, i) => {
        const { family, table } = counters.tables[counters.tableOf[i] as number] as {
          family: string;
          table: string;
        };
        return { base: identity({ family, table, name }), comment: counters.comments[i] };
      }),
    );
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
    const labels = this.#quotas.texts(quotas, () =>
      quotas.map((q) => ({
        base: [...identity(q), ["mode", q.inverted ? "over" : "until"]] as [string, string][],
        comment: q.comment,
      })),
    );
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

  *#setFamilies(sets: PackedSet[]): Generator<MetricFamily> {
    const labels = this.#sets.texts(sets, () =>
      sets.flatMap((set) => {
        const where = setIdentity(set);
        return set.keys.map((key, i) => ({
          base: [...where, ["element", key]] as [string, string][],
          comment: set.comments[i],
        }));
      }),
    );
    const numbers = sets.length === 1 ? (sets[0] as PackedSet).numbers : concat(sets.map((s) => s.numbers));
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
    yield {
      name: `${this.ns}_set_elements`,
      help: "Elements in the set (intervals for an interval set).",
      type: "gauge",
      samples: columns(
        perSet,
        sets.map((s) => s.size),
      ),
    };
    yield {
      name: `${this.ns}_set_elements_left_out`,
      help: "Elements with counters not exported because the set has more than -sets.max-elements.",
      type: "gauge",
      samples: columns(
        perSet,
        sets.map((s) => s.leftOut),
      ),
    };
  }
}

function sameCounterIdentity(a: PackedCounters, b: PackedCounters): boolean {
  return (
    a.tables.length === b.tables.length &&
    a.tables.every((t, i) => t.family === b.tables[i]?.family && t.table === b.tables[i]?.table) &&
    sameBytes(a.tableOf, b.tableOf) &&
    sameStrings(a.names, b.names) &&
    sameStrings(a.comments, b.comments)
  );
}

function sameSetIdentity(a: PackedSet, b: PackedSet): boolean {
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
 * rendered again through the LabelTextCache, which still reuses what it can item by item.
 */
class KindLabels<C> {
  #identity: C | undefined;
  #texts: string[] = [];
  readonly #cache = new LabelTextCache();

  constructor(readonly same: (a: C, b: C) => boolean) {}

  texts(identity: C, items: () => Labelled[]): string[] {
    if (this.#identity === undefined || !this.same(this.#identity, identity)) {
      this.#texts = this.#cache.render(items());
      this.#identity = identity;
    }
    return this.#texts;
  }
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

function unzip(pairs: [string, string][]): [string[], string[]] {
  return [pairs.map(([k]) => k), pairs.map(([, v]) => v)];
}
