import { formatLabels } from "../exposition/text.js";
import { parseComment } from "./comment.js";
import { commentLabels as checkedLabels, mostUsed } from "./names.js";

/**
 * ItemGroup is a run of items of one kind (named counters of a table, elements of a set, a quota) as
 * columns: items[from, to) and their comments, rendered at out[at, at + to - from). The group's labels
 * are `base`, `itemLabel` = the item's value, and the keys of a valid `nft(...)` comment.
 */
export interface ItemGroup {
  /** Names the group from one scrape to the next: its items' texts are kept under it. */
  id: string;
  base: readonly [string, string][];
  itemLabel: string;
  items: readonly string[];
  comments: readonly (string | undefined)[];
  from: number;
  to: number;
  at: number;
}

type Pairs = [string, string][] | undefined;

/** CommentLabels: a comment's label pairs, or why its nft(...) was refused (then it adds no labels). */
interface CommentLabels {
  pairs: Pairs;
  refused?: string;
}

const NO_LABELS: CommentLabels = { pairs: undefined };
const NO_KEYS: readonly string[] = [];

/**
 * Entry is what is kept of an item between scrapes: its comment, the names of the comment's labels and its
 * text. Not the label values: the text has them, and a text to render again parses its comment again
 * (100k named counters kept as pairs held ~15 MB of the web process's heap).
 */
interface Entry {
  comment: string | undefined;
  /** One array for every entry whose comment has the same label names (see #interned). */
  keys: readonly string[];
  refused: string | undefined;
  text: string | undefined;
}

/** ItemRejection: an item exported with its identity labels alone, because its nft(...) comment is malformed. */
export interface ItemRejection {
  /** The item's identity: the group's labels and the item label (e.g. family, table, set, element). */
  labels: Record<string, string>;
  comment: string;
  reason: string;
  /** The item's position in the rendered texts. */
  at: number;
}

/** RenderedTexts: the label text of every item, and the items whose comment was refused. */
export interface RenderedTexts {
  texts: string[];
  rejected: ItemRejection[];
}

/**
 * ItemLabelTexts (one per kind: its groups share label names) renders the label text of every item of
 * one kind, over the union of the label names of all its items (a key an item lacks is the empty value,
 * as for rules). A comment key that clashes with the group's labels, or is reserved (RESERVED_LABELS in
 * labels/names.ts), is kept as `exported_<key>`; a
 * malformed nft(...) comment adds no labels, since the identity alone already makes the series unique,
 * and is returned among the rejections, to be reported.
 *
 * It keeps, per group, each item's entry under its value (an item's value is unique in its group: a set
 * element's key, a counter's name): a dynamic set that gained or lost a few elements since the last
 * scrape costs a lookup per element, not a parse and a format. Items not seen in a scrape are forgotten
 * at its end; a change of the label names renders every text again.
 */
export class ItemLabelTexts {
  /** At most this many label names (-max-label-names; 0: no limit), the group's own labels included. */
  constructor(readonly maxLabelNames = 0) {}

  #names = "";
  #groups = new Map<string, Map<string, Entry>>();
  readonly #keySets = new Map<string, readonly string[]>();

  /** render returns the texts aligned with the columns: texts[at + i - from] for every item i of a group. */
  render(groups: readonly ItemGroup[], count: number): RenderedTexts {
    const entries = new Array<Entry>(count);
    const keys = new Set<string>();
    const kept = new Map<string, Map<string, Entry>>();
    // Per group, the label names its own labels take (a comment key among them becomes exported_<key>).
    const taken = groups.map((g) => new Set([...g.base.map(([k]) => k), g.itemLabel]));
    groups.forEach((g, n) => {
      const own = taken[n] as Set<string>;
      const previous = this.#groups.get(g.id);
      const current = kept.get(g.id) ?? new Map<string, Entry>();
      kept.set(g.id, current);
      for (const k of own) keys.add(k);
      for (let i = g.from; i < g.to; i++) {
        const item = g.items[i] as string;
        const comment = g.comments[i];
        let entry = previous?.get(item);
        if (!entry || entry.comment !== comment) {
          const { pairs, refused } = labelsOf(comment, own);
          entry = { comment, keys: this.#interned(pairs), refused, text: undefined };
        }
        for (const k of entry.keys) keys.add(k);
        current.set(item, entry);
        entries[g.at + i - g.from] = entry;
      }
    });
    const allowed = this.#allowed(keys, taken, entries);
    const names = [...keys].filter((k) => allowed.has(k)).sort();
    const namesId = names.join(",");
    const renamed = namesId !== this.#names;
    this.#names = namesId;
    this.#groups = kept;
    const index = new Map(names.map((k, i) => [k, i]));
    const out = new Array<string>(count);
    const rejected: ItemRejection[] = [];
    groups.forEach((g, n) => {
      const own = taken[n] as Set<string>;
      for (let i = g.from; i < g.to; i++) {
        const entry = entries[g.at + i - g.from] as Entry;
        // Over the limit: exported by its identity alone, like an item whose comment is malformed.
        const beyond = entry.keys.find((k) => !allowed.has(k));
        const refused =
          entry.refused ??
          (beyond === undefined
            ? undefined
            : `label name "${beyond}" beyond -max-label-names (${this.maxLabelNames})`);
        if (refused !== undefined) {
          const labels = Object.fromEntries([...g.base, [g.itemLabel, g.items[i] as string]]);
          rejected.push({ labels, comment: entry.comment as string, reason: refused, at: g.at + i - g.from });
        }
        if (entry.text === undefined || renamed) {
          const values = new Array<string>(names.length).fill("");
          for (const [k, v] of g.base) values[index.get(k) as number] = v;
          values[index.get(g.itemLabel) as number] = g.items[i] as string;
          const pairs = beyond === undefined ? labelsOf(entry.comment, own).pairs : undefined;
          for (const [k, v] of pairs ?? []) values[index.get(k) as number] = v;
          entry.text = formatLabels(names, values);
        }
        out[g.at + i - g.from] = entry.text;
      }
    });
    return { texts: out, rejected };
  }

  /**
   * #allowed: every label name while they fit -max-label-names; beyond it the groups' own labels and the
   * comment keys used by the most items (ties: by name), as for rules (labels/policy.ts).
   */
  #allowed(
    keys: ReadonlySet<string>,
    taken: readonly Set<string>[],
    entries: readonly Entry[],
  ): ReadonlySet<string> {
    if (this.maxLabelNames <= 0 || keys.size <= this.maxLabelNames) return keys;
    const own = new Set(taken.flatMap((t) => [...t]));
    const uses = new Map<string, number>();
    for (const entry of entries)
      for (const k of entry.keys) if (!own.has(k)) uses.set(k, (uses.get(k) ?? 0) + 1);
    return new Set([...own, ...mostUsed(uses, Math.max(0, this.maxLabelNames - own.size))]);
  }

  /** #interned: one shared array per set of label names (most items of a kind have the same ones). */
  #interned(pairs: Pairs): readonly string[] {
    if (!pairs) return NO_KEYS;
    const names = pairs.map(([k]) => k);
    const id = names.join("\0");
    let shared = this.#keySets.get(id);
    if (!shared) {
      shared = names;
      this.#keySets.set(id, shared);
    }
    return shared;
  }
}

/**
 * labelsOf parses a comment where its labels are needed, twice for an item whose text is rendered: kept
 * for the whole render, the parsed labels of 100k named counters raised the web process's peak by ~17 MB.
 */
function labelsOf(comment: string | undefined, taken: ReadonlySet<string>): CommentLabels {
  return comment === undefined ? NO_LABELS : commentLabels(comment, taken);
}

/**
 * commentLabels: the label pairs of a valid `nft(...)` comment, renamed `exported_<key>` on a clash; none
 * for a comment that is not `nft(...)`; none and the reason for a malformed one.
 */
function commentLabels(comment: string, taken: ReadonlySet<string>): CommentLabels {
  const checked = checkedLabels(parseComment(comment), taken);
  if (checked.kind === "refused") return { pairs: undefined, refused: checked.reason };
  return checked.kind === "labels" ? { pairs: [...checked.labels] } : NO_LABELS;
}

/**
 * KindLabels keeps one kind's rendered label texts (named counters, quotas or set elements) with the
 * identity columns they were rendered from. While a new read has the same identity (the common case:
 * only counter values moved), the texts are reused without looking at an item; otherwise they are
 * rendered again by ItemLabelTexts, which still reuses what it can item by item, and the items whose
 * comment was refused go to `report`.
 */
export class KindLabels<C> {
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
