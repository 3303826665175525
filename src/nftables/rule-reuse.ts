import { u64Words } from "../model/columns.js";
import {
  BYTES_WORD,
  HANDLE_WORD,
  PACKETS_WORD,
  type RuleColumns,
  type RuleColumnsBuilder,
  WORDS_PER_RULE,
} from "../model/rule-columns.js";
import { u64BETo } from "../netlink/attributes.js";
import type { NetlinkMessage } from "../netlink/message.js";
import { NFT_MSG_NEWRULE, nftMessageType } from "./constants.js";
import {
  addRuleCounters,
  LAYOUT_BYTES,
  LAYOUT_FIELDS,
  LAYOUT_HANDLE,
  LAYOUT_LENGTH,
  LAYOUT_PACKETS,
} from "./rule.js";

const NEWRULE = nftMessageType(NFT_MSG_NEWRULE);

/**
 * RepeatReader decodes the rule messages of one chain's successive dumps. Between two scrapes a chain
 * usually keeps its rules, and only their counters move. The kernel stamps every message of a dump with
 * the ruleset's generation (nfgenmsg.res_id: the low 16 bits of the counter every commit increments), so
 * when a message carries the last read's generation, has the same length as the message at the same place
 * then, and names the same handle, everything but its counters is what the last read decoded: the
 * counters are copied from where they were (RuleLayout, rule.ts) and the rest from the last read's
 * columns, comment strings included. Any other message, and every one after it in that dump, is decoded
 * in full by addRuleCounters, which records its layout for the next read.
 *
 * A stale answer needs all three to hold for a changed rule: 65536 commits (or a multiple) between two
 * scrapes, the same message length and the same handle. A rule replaced in place keeps its handle but
 * changes the generation. It cuts the reader's CPU per read to a third (docs/design-notes.md).
 */
export class RepeatReader {
  #last: RuleColumns | undefined;
  #lastWords: Uint32Array = new Uint32Array(0);
  #layout = new Int32Array(0);
  /** The last complete read's generation; -1: unknown or not one generation throughout. */
  #generation = -1;

  /** The layout before the last, whose array the next read fills (no 16 bytes per rule of garbage a read). */
  #spare = new Int32Array(0);

  // The read in progress.
  #into: RuleColumnsBuilder | undefined;
  #nextLayout = new Int32Array(0);
  #nextGeneration = -1;
  #reusing = false;

  /** begin starts a read into `into` (also a retry after an interrupted dump: the last read is kept). */
  begin(into: RuleColumnsBuilder): void {
    this.#into = into;
    const needed = LAYOUT_FIELDS * Math.max(1, this.#last?.count ?? 256);
    this.#nextLayout = this.#spare.length >= needed ? this.#spare : new Int32Array(needed);
    this.#nextGeneration = -1;
    this.#reusing = this.#last !== undefined && this.#generation !== -1;
  }

  /** add decodes one rule message into the read's columns; malformed ones throw NFPROM_DECODE. */
  add(msg: NetlinkMessage): void {
    const into = this.#into;
    if (!into) throw new Error("RepeatReader.add before begin");
    const generation = msg.payload.length >= 4 ? msg.payload.readUInt16BE(2) : -1;
    if (into.count === 0) this.#nextGeneration = generation;
    else if (generation !== this.#nextGeneration) this.#nextGeneration = -1;
    const lo = LAYOUT_FIELDS * into.count;
    if (lo + LAYOUT_FIELDS > this.#nextLayout.length) this.#growLayout();
    if (this.#reusing && generation === this.#generation && this.#reuse(msg, into, lo)) return;
    this.#reusing = false;
    addRuleCounters(msg, into, this.#nextLayout);
  }

  /** finish remembers a complete read (its columns, as the snapshot holds them) for the next one. */
  finish(columns: RuleColumns): void {
    this.#last = columns;
    this.#lastWords = u64Words(columns.numbers);
    this.#spare = this.#layout;
    this.#layout = this.#nextLayout;
    this.#generation = this.#nextGeneration;
    this.#into = undefined;
  }

  /** #reuse takes rule `into.count` from the last read when its message is that rule's, counters aside. */
  #reuse(msg: NetlinkMessage, into: RuleColumnsBuilder, lo: number): boolean {
    const last = this.#last as RuleColumns;
    const i = into.count;
    const payload = msg.payload;
    const layout = this.#layout;
    if (i >= last.count || msg.type !== NEWRULE || payload.length !== layout[lo + LAYOUT_LENGTH])
      return false;
    if (payload[0] !== last.families[i]) return false;
    const handleAt = layout[lo + LAYOUT_HANDLE] as number;
    const w = WORDS_PER_RULE * i + HANDLE_WORD;
    if (handleAt < 0 || !sameU64(payload, handleAt, this.#lastWords, w)) return false;
    into.add(last.families[i] as number);
    const at = into.wordsOf(i);
    into.words[at + HANDLE_WORD] = this.#lastWords[w] as number;
    into.words[at + HANDLE_WORD + 1] = this.#lastWords[w + 1] as number;
    into.flags[i] = last.flags[i] as number;
    into.comments[i] = last.comments[i];
    const bytesAt = layout[lo + LAYOUT_BYTES] as number;
    const packetsAt = layout[lo + LAYOUT_PACKETS] as number;
    if (bytesAt >= 0) u64BETo(payload, bytesAt, into.words, at + BYTES_WORD);
    if (packetsAt >= 0) u64BETo(payload, packetsAt, into.words, at + PACKETS_WORD);
    const next = this.#nextLayout;
    for (let f = lo; f < lo + LAYOUT_FIELDS; f++) next[f] = layout[f] as number;
    return true;
  }

  #growLayout(): void {
    const bigger = new Int32Array(2 * this.#nextLayout.length);
    bigger.set(this.#nextLayout);
    this.#nextLayout = bigger;
  }
}

/** sameU64: the big-endian u64 at buf[off] equals words[w], words[w + 1] (u64BETo's placement). */
function sameU64(buf: Buffer, off: number, words: Uint32Array, w: number): boolean {
  const probe = SCRATCH;
  u64BETo(buf, off, probe, 0);
  return probe[0] === words[w] && probe[1] === words[w + 1];
}

const SCRATCH = new Uint32Array(2);
