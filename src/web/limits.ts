import { monotonicMs } from "../clock.js";

/**
 * InFlightLimit bounds the scrapes served at once (--web.max-requests, as node_exporter's): a scrape that
 * would exceed it is refused at once (HTTP 503) instead of queueing behind the others. 0: no limit.
 */
export class InFlightLimit {
  #active = 0;

  constructor(readonly max: number) {}

  /** tryEnter takes a slot; false when all are busy. Every true must be paired with one leave(). */
  tryEnter(): boolean {
    if (this.max > 0 && this.#active >= this.max) return false;
    this.#active++;
    return true;
  }

  leave(): void {
    this.#active--;
  }
}

/**
 * TokenBucket is the exporter-toolkit's `rate_limit` (Go's rate.Limiter): one request per `intervalMs`
 * on average, bursts of up to `burst`. Requests beyond it get HTTP 429.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly burst: number,
    readonly intervalMs: number,
    readonly now: () => number = monotonicMs,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  allow(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + (t - this.#last) / this.intervalMs);
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
