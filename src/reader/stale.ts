import { ErrorCodes, NfpromError } from "../errors.js";
import type { Snapshot } from "../model/snapshot.js";
import type { ReadStats, RulesReader } from "./collector.js";

/**
 * StaleServingReader lets the dump of a chain too big for the scrape deadline run on in the background
 * (up to `backgroundMs`) instead of being abandoned at every scrape, which would never finish it: the
 * kernel re-walks one chain for every datagram (~N², 12 s for 100k rules, design.md §3). A scrape whose
 * deadline passes gets the last complete snapshot, with `ageMs` saying how old it is (0 when fresh); only
 * before the first complete read does it fail with NFPROM_TIMEOUT. The inner reader is single-flight, so
 * later scrapes join the dump in flight rather than start another.
 */
export class StaleServingReader implements RulesReader {
  #last: Snapshot | undefined;

  constructor(
    readonly inner: RulesReader,
    readonly backgroundMs: number,
  ) {}

  get stats(): ReadStats {
    return this.inner.stats;
  }

  read(deadlineAt: number): Promise<Snapshot> {
    const fresh = this.inner.read(Date.now() + this.backgroundMs).then((snapshot) => {
      this.#last = snapshot;
      return { ...snapshot, ageMs: 0 };
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          const last = this.#last;
          if (last) resolve({ ...last, ageMs: Date.now() - last.readAtMs });
          else
            reject(
              new NfpromError(
                ErrorCodes.TIMEOUT,
                "read deadline exceeded; the dump continues in the background",
              ),
            );
        },
        Math.max(0, deadlineAt - Date.now()),
      );
      fresh.then(
        (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  close(): void {
    this.inner.close();
  }
}
