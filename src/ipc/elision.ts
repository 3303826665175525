import { sameStrings } from "./packed-sources.js";
import type { WireReadReply, WireSnapshot } from "./protocol.js";

/**
 * Column elision: between two reads of a large ruleset usually only counter values change. The string
 * columns (rule comments, counter names and comments, set element keys and comments) are most of a
 * reply's bytes and of the cost of cloning it, so the reader sends a column only when it differs from the
 * one it sent last, and names the columns it left out; the web process puts back the copy it kept.
 *
 * Both sides see every reply in the order sent (the IPC channel is ordered and reliable), so they agree on
 * "the last one sent" as long as the web process applies each reply, including one whose scrape it has
 * already given up on. Each web process starts with a fresh pair: the reader makes a new ColumnElider for
 * every fork.
 */

/** Columns smaller than this are always sent: not worth the bookkeeping. */
const MIN_ELIDED_LENGTH = 256;

type Column = readonly unknown[];

interface Slot {
  key: string;
  get(s: WireSnapshot): Column;
  set(s: WireSnapshot, column: Column): void;
}

/** slotsOf lists a snapshot's elidable columns, each under a key that is stable from one read to the next. */
function slotsOf(s: WireSnapshot): Slot[] {
  const slots: Slot[] = [
    {
      key: "rules.comments",
      get: (x) => x.rules.comments,
      set: (x, c) => {
        x.rules.comments = c as string[];
      },
    },
  ];
  if (s.counters) {
    slots.push(
      {
        key: "counters.names",
        get: (x) => x.counters?.names ?? [],
        set: (x, c) => {
          if (x.counters) x.counters.names = c as string[];
        },
      },
      {
        key: "counters.comments",
        get: (x) => x.counters?.comments ?? [],
        set: (x, c) => {
          if (x.counters) x.counters.comments = c as string[];
        },
      },
    );
  }
  s.sets?.forEach((set, i) => {
    const at = `sets.${set.family}.${set.table}.${set.name}`;
    slots.push(
      {
        key: `${at}.keys`,
        get: (x) => x.sets?.[i]?.keys ?? [],
        set: (x, c) => {
          const target = x.sets?.[i];
          if (target) target.keys = c as string[];
        },
      },
      {
        key: `${at}.comments`,
        get: (x) => x.sets?.[i]?.comments ?? [],
        set: (x, c) => {
          const target = x.sets?.[i];
          if (target) target.comments = c as string[];
        },
      },
    );
  });
  return slots;
}

/** ColumnElider is the reader's side: it drops the columns the web process already has. */
export class ColumnElider {
  #sent = new Map<string, Column>();

  /** elide empties, in place, the columns the web process already has (reply: toWire's fresh copy). */
  elide(reply: WireReadReply): WireReadReply {
    if (reply.type !== "snapshot") return reply;
    const snapshot = reply.snapshot;
    const sent = new Map<string, Column>();
    const elided: string[] = [];
    for (const slot of slotsOf(snapshot)) {
      const column = slot.get(snapshot);
      const last = this.#sent.get(slot.key);
      sent.set(slot.key, last && sameStrings(last, column) ? last : column);
      if (last && column.length >= MIN_ELIDED_LENGTH && sameStrings(last, column)) {
        elided.push(slot.key);
        slot.set(snapshot, []);
      }
    }
    this.#sent = sent;
    if (elided.length > 0) snapshot.elided = elided;
    return reply;
  }
}

/** ColumnRestorer is the web process's side: it puts back the columns the reader left out. */
export class ColumnRestorer {
  #received = new Map<string, Column>();

  /** restore fills in place the columns `reply` names as elided; throws if it has no copy (a bug). */
  restore(reply: WireReadReply): void {
    if (reply?.type !== "snapshot") return;
    const snapshot = reply.snapshot;
    const elided = new Set(snapshot.elided);
    const received = new Map<string, Column>();
    for (const slot of slotsOf(snapshot)) {
      if (elided.has(slot.key)) {
        const kept = this.#received.get(slot.key);
        if (!kept) throw new Error(`reply without column ${slot.key}, and no earlier copy`);
        slot.set(snapshot, kept);
      }
      received.set(slot.key, slot.get(snapshot));
    }
    delete snapshot.elided;
    this.#received = received;
  }
}
