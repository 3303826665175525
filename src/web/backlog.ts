import { monotonicMs } from "../clock.js";

/**
 * Bytes of response bodies the web process holds for all clients together: written, not yet taken by
 * the kernel. 64 MiB: about ten uncompressed 6 MB expositions (every one of a few hundred compressed
 * ones), many times what clients that read ever hold, a small part of the web process's heap limit.
 */
export const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

/** SendTicket is one response's share of the backlog; every call after close() is ignored. */
export interface SendTicket {
  /** queued: `n` more bytes handed to the response. */
  queued(n: number): void;
  /** sent: `n` bytes left the process (the kernel took them, or the compressor consumed them). */
  sent(n: number): void;
  close(): void;
}

interface Entry {
  open: boolean;
  bytes: number;
  lastProgress: number;
  evict: () => void;
}

/**
 * SendBacklog bounds the memory that clients which do not read can pin. Rendering never waits on a
 * slow client for long (server.ts), so what it does not take piles up here; when the total goes
 * above maxBytes, the responses that made progress least recently are evicted (their connections
 * closed) until it is back below. A client that reads keeps its progress recent and is never chosen
 * while one that stopped reading holds bytes.
 */
export class SendBacklog {
  readonly #entries = new Set<Entry>();
  #total = 0;
  #evicted = 0;

  constructor(
    readonly maxBytes = MAX_BACKLOG_BYTES,
    readonly now: () => number = monotonicMs,
  ) {}

  get totalBytes(): number {
    return this.#total;
  }

  /** evictions: connections closed so far to keep the backlog bounded. */
  get evictions(): number {
    return this.#evicted;
  }

  /** track opens a response's ticket; `evict` must close its connection. */
  track(evict: () => void): SendTicket {
    const entry: Entry = { open: true, bytes: 0, lastProgress: this.now(), evict };
    this.#entries.add(entry);
    return {
      queued: (n) => {
        if (!entry.open) return;
        entry.bytes += n;
        this.#total += n;
        this.#enforce();
      },
      sent: (n) => {
        if (!entry.open) return;
        entry.bytes -= n;
        this.#total -= n;
        entry.lastProgress = this.now();
      },
      close: () => this.#remove(entry),
    };
  }

  #remove(entry: Entry): void {
    if (!entry.open) return;
    entry.open = false;
    this.#entries.delete(entry);
    this.#total -= entry.bytes;
  }

  #enforce(): void {
    while (this.#total > this.maxBytes) {
      let stalest: Entry | undefined;
      for (const e of this.#entries)
        if (e.bytes > 0 && (!stalest || e.lastProgress < stalest.lastProgress)) stalest = e;
      if (!stalest) return;
      this.#remove(stalest);
      this.#evicted++;
      stalest.evict();
    }
  }
}
