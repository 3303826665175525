import type { Config } from "../../config/config.js";
import { elementKeyText, keyedElements } from "../../labels/setkey.js";
import { matchesAny, type NamePattern } from "../../model/pattern.js";
import { ElementColumnsBuilder, type SetColumns } from "../../model/source-columns.js";
import { ENOENT } from "../../netlink/constants.js";
import { KernelError, type NetlinkMessage } from "../../netlink/message.js";
import type { NetlinkSocket } from "../../netlink/socket.js";
import { familyName, NFT_SET_ELEM_INTERVAL_END } from "../../nftables/constants.js";
import { NFT_SET_ANONYMOUS, NFT_SET_INTERVAL } from "../../nftables/constants-sources.js";
import { dumpMessages, nextSequence } from "../../nftables/dump.js";
import { getSetElemsRequest, getSetsRequest } from "../../nftables/requests.js";
import { type NftSet, setFromMessage } from "../../nftables/set.js";
import { type ElementView, elementOf, type SetElement, visitSetElements } from "../../nftables/setelem.js";
import { patternsOf, type Sections } from "../slice.js";
import type { Source } from "../source.js";
import { SeenElements } from "./seen-elements.js";
import { SETS_FLAG } from "./slice.js";

/**
 * setsSource exports the per-element counters of the named sets and maps the patterns select (anonymous
 * sets belong to rules and are never selected): one NFT_MSG_GETSET dump of every family, then one
 * NFT_MSG_GETSETELEM dump per selected set. At most `maxElements` elements per set are exported, in the
 * kernel's order; the rest are counted as left out, so a set filled by `update @set` cannot flood
 * Prometheus with series.
 */
/** Dumps of one set per read when its dumps come out torn (elements repeated): setsSource keeps the best. */
const SET_DUMPS_PER_READ = 3;

/** setsFor: the sets source the -sets patterns select, if any. */
export function setsFor(config: Config): Source | undefined {
  const patterns = patternsOf(config, SETS_FLAG);
  if (patterns.length === 0) return undefined;
  return setsSource(patterns, config.setMaxElements, SET_DUMPS_PER_READ);
}

export function setsSource(
  patterns: readonly NamePattern[],
  maxElements: number,
  maxAttempts: number,
): Source {
  /** Each set's size at its last read, by family/table/name: the next read's tables are sized for it. */
  let lastSizes = new Map<string, number>();
  return {
    name: "sets",
    async collect(sock: NetlinkSocket, shouldStop: () => boolean, deadlineAt: number): Promise<Sections> {
      // By identity, so that no set is read twice (its series would come twice), whatever a torn listing
      // holds: the kernel appends new sets, so it should skip one at worst.
      const selected = new Map<string, NftSet>();
      const keep = (set: NftSet) => {
        if (!(set.flags & NFT_SET_ANONYMOUS) && matchesAny(patterns, set.family, set.table, set.name)) {
          selected.set(`${set.family}/${set.table}/${set.name}`, set);
        }
      };
      const seq = nextSequence();
      await dumpMessages(
        sock,
        getSetsRequest(seq),
        seq,
        "list sets",
        (m) => keep(setFromMessage(m)),
        shouldStop,
      );
      const sets: SetColumns[] = [];
      const sizes = new Map<string, number>();
      for (const [id, set] of selected) {
        const limits = { maxElements, maxAttempts, expected: lastSizes.get(id) ?? 0, deadlineAt };
        const read = await readSet(sock, set, limits, shouldStop);
        if (read) sets.push(read);
        if (read) sizes.set(id, read.size);
      }
      lastSizes = sizes;
      return { sets };
    },
  };
}

/**
 * readSet dumps one set, again while its dump repeats elements (up to maxAttempts dumps, each only when
 * it should end well before the scrape's deadline), and keeps the dump with the fewest repeats. A set that
 * changes all the time (a busy `update @set`) may never give a clean dump: then the best one is served,
 * each element once, and nfprom_set_elements_repeated says how torn it was. Undefined: the set is gone.
 */
async function readSet(
  sock: NetlinkSocket,
  set: NftSet,
  limits: { maxElements: number; maxAttempts: number; expected: number; deadlineAt: number },
  shouldStop: () => boolean,
): Promise<SetColumns | undefined> {
  let best: SetColumns | undefined;
  for (let attempt = 1; attempt <= limits.maxAttempts; attempt++) {
    const started = Date.now();
    const read = await dumpSet(sock, set, limits, shouldStop);
    if (!read) return undefined;
    if (!best || read.repeated < best.repeated) best = read;
    if (best.repeated === 0 || !timeForAnother(Date.now() - started, limits.deadlineAt)) break;
  }
  return best;
}

/** timeForAnother: one more dump like the last (taking `lastMs`) should end with room to spare. */
function timeForAnother(lastMs: number, deadlineAt: number): boolean {
  return Date.now() + 2 * lastMs < deadlineAt;
}

/**
 * dumpSet reads one set's elements, each once. The kernel goes on with a set dump, one datagram after the
 * other, by counting elements from the start of its walk, and no generation count sees elements added or
 * removed from the packet path (`update @set`, timeouts): an element added or removed meanwhile shifts the
 * count, elements come twice or not at all, and nothing is flagged. Measured on Linux 6.18, a dynamic set
 * of 20,000 elements while `nft add element` added ~600 a second: 100 of 100 dumps repeated elements (48 a
 * dump on average), and one missed 2,179 (the hash table grew mid-dump). Repeats are dropped and counted.
 */
async function dumpSet(
  sock: NetlinkSocket,
  set: NftSet,
  { maxElements, expected }: { maxElements: number; expected: number },
  shouldStop: () => boolean,
): Promise<SetColumns | undefined> {
  // An interval set's elements are boundaries, paired only once all are in (keyedElements sorts them).
  // Any other set's elements go into the columns as they come, while the kernel builds the next datagram.
  const interval = (set.flags & NFT_SET_INTERVAL) !== 0;
  const keyText = elementKeyText(set);
  const boundaries: SetElement[] = [];
  const exported = new ElementColumnsBuilder(Math.min(expected, maxElements));
  const seen = new SeenElements(expected);
  let repeated = 0;
  let size = 0;
  let counted = 0;
  const visit = (v: ElementView) => {
    if (!seen.add(v)) {
      repeated++;
      return;
    }
    if (!(v.flags & NFT_SET_ELEM_INTERVAL_END)) size++;
    if (interval) boundaries.push(elementOf(v));
    else if (v.counted && counted++ < maxElements) exported.addWords(keyText(v), v.comment, v.counter);
  };
  const collect = (m: NetlinkMessage) => visitSetElements(m, visit);
  const seq = nextSequence();
  const request = getSetElemsRequest(seq, set.family, set.table, set.name);
  try {
    await dumpMessages(sock, request, seq, `dump set ${set.name}`, collect, shouldStop);
  } catch (err) {
    // Deleted since the listing: gone from this read, like a removed rule.
    if (err instanceof KernelError && err.errno === ENOENT) return undefined;
    throw err;
  }
  if (interval) {
    for (const [key, e] of keyedElements(set, boundaries)) {
      if (counted++ >= maxElements) continue;
      exported.add(key, e.comment, e.counter?.bytes ?? 0n, e.counter?.packets ?? 0n);
    }
  }
  return exported.finish({
    family: familyName(set.family),
    table: set.table,
    name: set.name,
    size,
    maxSize: set.maxSize,
    leftOut: Math.max(0, counted - maxElements),
    repeated,
  });
}
