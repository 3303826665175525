import type { ElementView } from "../../nftables/setelem.js";

/**
 * SeenElements remembers which elements of one set dump were already received, to drop repeats (see
 * sets.ts: the kernel repeats elements of a set that changes during its dump). Most large sets are keyed
 * by IPv4 address: those keys go into an open-addressing table of 32-bit words, which takes 4–14 ms per
 * 100k elements and makes no garbage, where a JS Set of numbers took ~27 ms (measured alone, 2026-12-02).
 * Any other element (IPv6, concatenations, interval boundaries) is told apart by its bytes in a Set of
 * strings.
 */
export class SeenElements {
  /** The table: 2^bits slots, at most half of them used, each key at its hash or after it. */
  #bits = 10;
  #slots: Uint32Array;
  #used: Uint8Array;
  #count = 0;
  #others: Set<string> | undefined;

  /** expected: elements the dump should hold (the last dump's count), so that the table never regrows. */
  constructor(expected = 0) {
    while (1 << this.#bits < 2 * expected) this.#bits++;
    this.#slots = new Uint32Array(1 << this.#bits);
    this.#used = new Uint8Array(1 << this.#bits);
  }

  /** add records the element; false when it was already there (a repeat). */
  add(e: ElementView): boolean {
    const p = e.payload;
    if (e.keyLen === 4 && e.flags === 0 && e.keyEndAt < 0) return this.#addWord(p.readUInt32BE(e.keyAt));
    this.#others ??= new Set();
    const key = e.keyAt < 0 ? "" : p.toString("latin1", e.keyAt, e.keyAt + e.keyLen);
    const end = e.keyEndAt < 0 ? "" : p.toString("latin1", e.keyEndAt, e.keyEndAt + e.keyEndLen);
    const id = `${e.flags}/${key}/${end}`;
    if (this.#others.has(id)) return false;
    this.#others.add(id);
    return true;
  }

  #addWord(word: number): boolean {
    const mask = this.#slots.length - 1;
    let at = Math.imul(word, 0x9e3779b1) >>> (32 - this.#bits); // Fibonacci hashing: the product's top bits
    while (this.#used[at] === 1) {
      if (this.#slots[at] === word) return false;
      at = (at + 1) & mask;
    }
    this.#used[at] = 1;
    this.#slots[at] = word;
    if (++this.#count * 2 > this.#slots.length) this.#grow();
    return true;
  }

  #grow(): void {
    const [slots, used] = [this.#slots, this.#used];
    this.#bits++;
    this.#slots = new Uint32Array(1 << this.#bits);
    this.#used = new Uint8Array(1 << this.#bits);
    this.#count = 0;
    for (let i = 0; i < slots.length; i++) if (used[i] === 1) this.#addWord(slots[i] as number);
  }
}
