import type { Config } from "../config/config.js";
import type { MetricFamily } from "../exposition/text.js";
import type { CheckResult, Finding } from "../labels/diagnose.js";
import type { KindLabels } from "../labels/item-texts.js";
import type { CommentedItem } from "../labels/items.js";
import type { PolicyOptions } from "../labels/policy.js";
import type { Logger } from "../log.js";
import type { NamePattern } from "../model/pattern.js";
import type { Snapshot, SnapshotSections } from "../model/snapshot.js";

/**
 * NftJsonObject: one object of `nft -j` output, its family known: as nft names it and as its number
 * (NFPROTO_*, what name patterns match), its table and name as strings.
 */
export type NftJsonObject = Record<string, unknown> & {
  family: string;
  familyNumber: number;
  table: string;
  name: string;
};

/**
 * The parts of a snapshot the slices fill in (model/snapshot.ts SnapshotSections, which an optional
 * source's folder may extend with its own section), each absent until its slice has filled it: an
 * optional source's reader fills only its own.
 */
export type Sections = Partial<SnapshotSections>;

/**
 * SelectionFlag: a flag that turns an optional source on and selects its items by pattern, declared in the
 * source's folder. cli/flags.ts lists it under "What to read", repeatable and empty by default; its
 * patterns are in Config.selections under its name (`patternsOf`).
 */
export interface SelectionFlag {
  readonly name: string;
  /** How its value is written in --help and docs/flags.md (`[family/]table`). */
  readonly arg: string;
  readonly help: string;
  /** parse reads one value; it throws an Error whose message says what was expected. */
  readonly parse: (text: string) => NamePattern;
}

/** patternsOf: the patterns the command line gave `flag`; none when the flag was not given. */
export function patternsOf(config: Config, flag: SelectionFlag): NamePattern[] {
  return config.selections[flag.name] ?? [];
}

/** isSelected: whether the configuration turns a slice on: the rules always, a source by its flags. */
export function isSelected(slice: SourceSlice<unknown>, config: Config): boolean {
  return slice.required || slice.flags.some((flag) => patternsOf(config, flag).length > 0);
}

/**
 * Words: a column holder as it crosses the boundary, its 64-bit numbers as their 32-bit words. V8's
 * deserializer gives a Uint32Array as a view of the frame it received, but builds a BigUint64Array value
 * by value: 100k rules' numbers took ~11 ms of every scrape.
 */
export type Words<T extends { numbers: BigUint64Array }> = Omit<T, "numbers"> & { numbers: Uint32Array };

type Column = readonly unknown[];

/** Slot is one elidable column of one snapshot (ipc/elision.ts): the object holding it and under which field. */
export interface Slot {
  key: string;
  get(): Column;
  set(column: Column): void;
}

export function slot<T, K extends keyof T>(key: string, holder: T, field: K): Slot {
  return {
    key,
    get: () => holder[field] as Column,
    set: (column) => {
      holder[field] = column as T[K];
    },
  };
}

/** RenderContext: what the SourceRenderer (render/sources.ts) gives each slice to render with. */
export interface RenderContext {
  /** The metric namespace (`nfprom`). */
  ns: string;
  /** The command line's label choices (-all-rules, -duplicates, -max-label-*). */
  policy: PolicyOptions;
  /** Where what a slice reports once (a rejected rule) is logged; none in tests that do not look. */
  log?: Logger;
  /**
   * labels: the label texts of one kind of item, kept while `same` says the identity columns did not
   * change; its rejections are logged once each as "<words> comment rejected".
   */
  labels<C>(words: string, same: (a: C, b: C) => boolean): KindLabels<C>;
}

/** SliceRenderer renders one source's sections of a snapshot into metric families. */
export interface SliceRenderer {
  families(snapshot: Snapshot): Iterable<MetricFamily>;
  /** rejected: per kind of item this snapshot has, how many comments were refused (after families()). */
  rejected(snapshot: Snapshot): [kind: string, count: number][];
  /**
   * findings: what `nfprom check` says about the last scrape: the rules' findings, or the items whose
   * comment was refused.
   */
  findings(): Finding[];
}

/**
 * SliceCheck is what `nfprom check` reads and judges of one slice, for one configuration: its part of a
 * kernel read or of `nft -j` output, then its findings and counts.
 */
export interface SliceCheck {
  /** read takes its part of a kernel read. */
  read(snapshot: Snapshot): void;
  /**
   * json takes one object of `nft -j` output (`type` is its key: "rule", "counter", "set"…): it keeps what
   * the configuration selects and ignores a type it does not read.
   */
  json(type: string, obj: NftJsonObject): void;
  /** items: the commented items it took, judged by their label texts (none for the rules). */
  readonly items: readonly CommentedItem[];
  /** judge adds its findings and counts to `result` (the rules' counts, the items checked). */
  judge(result: CheckResult): void;
}

/**
 * SourceSlice is the half of a source that both processes share (its reader half, what it asks the kernel
 * for and how it decodes into its columns, is in the same folder, and only the reader may load it): how
 * its sections cross the boundary, how they render into metric families, and what `nfprom check` says
 * about its items. The rules are one (sources/rules/), the optional sources the others.
 */
export interface SourceSlice<Wire> {
  /** Its name; an optional source's is the `source` label of nfprom_source_success, as its Source's. */
  readonly name: string;
  /**
   * required: part of every read (the rules): rendered whenever a read succeeded, before nfprom's own
   * families; an optional source's families follow them, and only when some optional source is on.
   */
  readonly required: boolean;
  /** flags: its selection flags, in the order of --help (none for the rules, which every read has). */
  readonly flags: readonly SelectionFlag[];
  /**
   * sample: a section with an item of every kind it has, so that `npm run docs` renders each of its
   * families into docs/metrics.md.
   */
  sample(): Sections;
  /** toWire copies its sections of `from` into `to`, 64-bit columns as words; a fresh holder per column. */
  toWire(from: Sections, to: Wire): void;
  /** fromWire is toWire's inverse, on the web side. */
  fromWire(from: Wire, to: Sections): void;
  /** slots: its elidable string columns in `wire`, each under a key stable from one read to the next. */
  slots(wire: Wire, prefix: string): Slot[];
  renderer(context: RenderContext): SliceRenderer;
  /** check: what `nfprom check` reads and judges of it under `config`. */
  check(config: Config): SliceCheck;
}
