import { sameStrings } from "../model/columns.js";
import type { Slot } from "../sources/slice.js";
import { SLICES } from "../sources/slices.js";
import type { WireReadReply, WireSnapshot } from "./protocol.js";

/**
 * Column elision: between two reads of a large ruleset usually only counter values change. The string
 * columns (rule comments, counter names and comments, set element keys and comments) are most of a
 * reply's bytes and of the cost of cloning it, so the reader sends a column only when it differs from the
 * one it sent last, and names the columns it left out; the web process puts back the copy it kept.
 *
 * Both sides see every reply in the order sent (the socketpair is ordered and reliable), so they agree on
 * "the last one sent" as long as the web process applies each reply, including one whose scrape it has
 * already given up on. Each web process starts with a fresh pair: the reader makes a new ColumnElider for
 * every web process it starts (reader/web-channel.ts).
 */

/** Columns smaller than this are always sent: not worth the bookkeeping. */
const MIN_ELIDED_LENGTH = 256;

type Column = readonly unknown[];

/** snapshotsOf: a reply's snapshots, each with the prefix of its keys (with -netns: its namespace). */
function snapshotsOf(reply: WireReadReply): [prefix: string, snapshot: WireSnapshot][] {
  if (reply.type === "snapshot") return [["", reply.snapshot]];
  if (reply.type !== "namespaces") return [];
  return reply.namespaces.flatMap((read) =>
    "snapshot" in read ? [[`${read.netns}\0`, read.snapshot] as [string, WireSnapshot]] : [],
  );
}

/** slotsOf lists a snapshot's elidable columns, each under a key that is stable from one read to the next. */
function slotsOf(s: WireSnapshot, prefix: string): Slot[] {
  return SLICES.flatMap((slice) => slice.slots(s, prefix));
}

/** ColumnElider is the reader's side: it drops the columns the web process already has. */
export class ColumnElider {
  #sent = new Map<string, Column>();

  /** elide empties, in place, the columns the web process already has (reply: toWire's fresh copy). */
  elide(reply: WireReadReply): WireReadReply {
    const sent = new Map<string, Column>();
    for (const [prefix, snapshot] of snapshotsOf(reply)) {
      const elided: string[] = [];
      for (const { key, get, set } of slotsOf(snapshot, prefix)) {
        const column = get();
        const last = this.#sent.get(key);
        const same = last !== undefined && sameStrings(last, column);
        sent.set(key, same ? last : column);
        if (same && column.length >= MIN_ELIDED_LENGTH) {
          elided.push(key);
          set([]);
        }
      }
      if (elided.length > 0) snapshot.elided = elided;
    }
    if (reply.type !== "error") this.#sent = sent;
    return reply;
  }
}

/** ColumnRestorer is the web process's side: it puts back the columns the reader left out. */
export class ColumnRestorer {
  #received = new Map<string, Column>();

  /** restore fills in place the columns `reply` names as elided; throws if it has no copy (a bug). */
  restore(reply: WireReadReply): void {
    if (reply?.type !== "snapshot" && reply?.type !== "namespaces") return;
    const received = new Map<string, Column>();
    for (const [prefix, snapshot] of snapshotsOf(reply)) {
      const elided = new Set(snapshot.elided);
      for (const { key, get, set } of slotsOf(snapshot, prefix)) {
        if (elided.has(key)) {
          const kept = this.#received.get(key);
          if (!kept) throw new Error(`reply without column ${key}, and no earlier copy`);
          set(kept);
        }
        received.set(key, get());
      }
      delete snapshot.elided;
    }
    this.#received = received;
  }
}
