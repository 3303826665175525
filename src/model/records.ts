/**
 * The records of a snapshot in object form, one object per rule, counter or element: what tests, `check`
 * and the slow paths build, and what the column builders (rule-columns.ts, source-columns.ts) take in.
 */

/** RuleCounters is what nfprom keeps of one rule: identity, comment and counter. */
export interface RuleCounters {
  family: number;
  handle: bigint;
  comment: string | undefined;
  /** undefined when the rule has no `counter` statement. */
  bytes: bigint | undefined;
  packets: bigint | undefined;
  /** Rule-derived label values, aligned with Snapshot.derivedLabels; only when -rule-labels asks for them. */
  derived?: string[];
  /** The rule counts in a named counter (`counter name "x"`): exported as that object, never as a rule. */
  countsInObject?: boolean;
  /** Where the rule lives; set only when several chains are read, so that their series never collide. */
  location?: Location;
}

/** Location names a chain (or, with `chain` empty, a table) as nft(8) does. */
export interface Location {
  family: string;
  table: string;
  chain: string;
}

/** NamedCounter is a counter object (`counter ssh_in { }`), shared by the rules that name it. */
export interface NamedCounter {
  family: string;
  table: string;
  name: string;
  comment: string | undefined;
  bytes: bigint;
  packets: bigint;
}

/** SetCounters is a named set or map declared with `counter`, and its elements' counters. */
export interface SetCounters {
  family: string;
  table: string;
  name: string;
  /** Elements in the set (interval sets: intervals). */
  size: number;
  /** The declared `size`; 0 or absent when none was declared. */
  maxSize?: number;
  /** Elements with counters beyond the per-set cap (-sets.max-elements), not exported. */
  leftOut: number;
  /** Elements the dump sent more than once, kept once (SetColumns.repeated); 0 when absent. */
  repeated?: number;
  elements: SetElementCounters[];
}

/** SetElementCounters is one element of a set: its key as nft(8) prints it, comment and counter. */
export interface SetElementCounters {
  /** The key as nft(8) prints it: `10.0.0.1`, `10.0.0.0/8`, `1000-2000`, `10.0.0.1 . 22`. */
  key: string;
  comment: string | undefined;
  bytes: bigint;
  packets: bigint;
}
