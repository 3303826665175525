import { formatLabels } from "../exposition/text.js";
import { parseComment } from "../labels/comment.js";
import { labelNameProblem } from "../labels/policy.js";

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

/** Entry is what is kept of an item between scrapes: its comment, the comment's labels, its text. */
interface Entry {
  comment: string | undefined;
  pairs: Pairs;
  text: string | undefined;
}

/**
 * ItemLabelTexts (one per kind: its groups share label names) renders the label text of every item of
 * one kind, over the union of the label names of all its items (a key an item lacks is the empty value,
 * as for rules). A comment key that clashes with the group's labels is kept as `exported_<key>`; an
 * invalid comment adds no labels, since the identity alone already makes the series unique.
 *
 * It keeps, per group, each item's entry under its value (an item's value is unique in its group: a set
 * element's key, a counter's name): a dynamic set that gained or lost a few elements since the last
 * scrape costs a lookup per element, not a parse and a format. Items not seen in a scrape are forgotten
 * at its end; a change of the label names renders every text again.
 */
export class ItemLabelTexts {
  #names = "";
  #groups = new Map<string, Map<string, Entry>>();

  /** render returns the texts aligned with the columns: out[at + i - from] for every item i of a group. */
  render(groups: readonly ItemGroup[], count: number): string[] {
    const entries = new Array<Entry>(count);
    const keys = new Set<string>();
    const kept = new Map<string, Map<string, Entry>>();
    const parsed = new Map<string, Pairs>();
    for (const g of groups) {
      const previous = this.#groups.get(g.id);
      const current = kept.get(g.id) ?? new Map<string, Entry>();
      kept.set(g.id, current);
      const taken = new Set([...g.base.map(([k]) => k), g.itemLabel]);
      for (const k of taken) keys.add(k);
      for (let i = g.from; i < g.to; i++) {
        const item = g.items[i] as string;
        const comment = g.comments[i];
        let entry = previous?.get(item);
        if (!entry || entry.comment !== comment) {
          let pairs = comment === undefined ? undefined : parsed.get(comment);
          if (comment !== undefined && !parsed.has(comment)) {
            pairs = commentLabels(comment, taken);
            parsed.set(comment, pairs);
          }
          entry = { comment, pairs, text: undefined };
        }
        for (const [k] of entry.pairs ?? []) keys.add(k);
        current.set(item, entry);
        entries[g.at + i - g.from] = entry;
      }
    }
    const names = [...keys].sort();
    const namesId = names.join(",");
    const renamed = namesId !== this.#names;
    this.#names = namesId;
    this.#groups = kept;
    const index = new Map(names.map((k, i) => [k, i]));
    const out = new Array<string>(count);
    for (const g of groups) {
      for (let i = g.from; i < g.to; i++) {
        const entry = entries[g.at + i - g.from] as Entry;
        if (entry.text === undefined || renamed) {
          const values = new Array<string>(names.length).fill("");
          for (const [k, v] of g.base) values[index.get(k) as number] = v;
          values[index.get(g.itemLabel) as number] = g.items[i] as string;
          for (const [k, v] of entry.pairs ?? []) values[index.get(k) as number] = v;
          entry.text = formatLabels(names, values);
        }
        out[g.at + i - g.from] = entry.text;
      }
    }
    return out;
  }
}

/** commentLabels: the label pairs of a valid `nft(...)` comment, renamed `exported_<key>` on a clash. */
function commentLabels(comment: string, taken: ReadonlySet<string>): Pairs {
  const parsed = parseComment(comment);
  if (parsed.kind !== "labels") return undefined;
  if ([...parsed.labels.keys()].some((k) => labelNameProblem(k))) return undefined;
  return [...parsed.labels].map(([k, v]) => [taken.has(k) ? `exported_${k}` : k, v]);
}
