import { createHash, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { bcryptThread } from "./bcrypt-thread.js";

/** Successful verdicts kept, so that a scraper's every request does not pay bcrypt (~0.2 s of CPU at cost 10 in bcryptjs). */
const CACHE_SIZE = 256;
/**
 * bcrypt comparisons running or queued at once; a request beyond them is answered 429 at once. The
 * thread does one at a time (~0.1–0.2 s each at cost 10), so a credential not yet cached waits at
 * most about this many comparisons, and a flood costs one core, never a queue that grows.
 */
export const MAX_PENDING_COMPARISONS = 4;

export type Compare = (password: string, hash: string) => Promise<boolean>;

/** The outcome of a check: authenticated, refused (401), or not checked now: too many pending (429). */
export type AuthVerdict = "ok" | "denied" | "busy";

/**
 * BasicAuth checks `Authorization: Basic` credentials against basic_auth_users (bcrypt hashes).
 *
 * - An unknown user is compared against a dummy hash of the same cost as the configured ones, so a
 *   failed login takes the same time whether the user exists or not (no user enumeration by timing).
 * - Successful verdicts are cached under SHA-256(user, password, hash): a hit needs the right password,
 *   and a changed hash (reload) misses. Failures are not cached: a guesser cannot evict good entries,
 *   and every wrong guess keeps costing a full bcrypt.
 * - The cache is asked first, on the event loop; bcrypt runs on its own thread (bcrypt-thread.ts), at
 *   most MAX_PENDING_COMPARISONS at once across all clients: beyond them a request is "busy" (429)
 *   without any bcrypt, so a password flood can neither queue work nor delay a cached scraper.
 */
export class BasicAuth {
  readonly #users: Map<string, string>;
  readonly #dummyHash: string | undefined;
  readonly #cache = new Map<string, true>();
  #pending = 0;

  constructor(
    users: Record<string, string>,
    readonly compare: Compare = bcryptThread.compare,
  ) {
    this.#users = new Map(Object.entries(users));
    const costs = [...this.#users.values()].map((h) => bcrypt.getRounds(h));
    // With mixed costs the dummy takes the highest: an unknown user is then never the fast case.
    if (costs.length > 0)
      this.#dummyHash = bcrypt.hashSync(randomBytes(18).toString("base64"), Math.max(...costs));
  }

  /** enabled: basic_auth_users is not empty, so every request must authenticate. */
  get enabled(): boolean {
    return this.#users.size > 0;
  }

  /** check: "ok" when the header carries a configured user and its password; never rejects. */
  async check(authorization: string | undefined): Promise<AuthVerdict> {
    const creds = parseBasic(authorization);
    if (!creds || !this.#dummyHash) return "denied";
    const known = this.#users.get(creds.user);
    const hash = known ?? this.#dummyHash;
    const key = createHash("sha256").update(`${creds.user}\0${creds.password}\0${hash}`).digest("hex");
    if (known && this.#cache.has(key)) {
      this.#cache.delete(key); // re-insert: the Map's order is the LRU order
      this.#cache.set(key, true);
      return "ok";
    }
    if (this.#pending >= MAX_PENDING_COMPARISONS) return "busy";
    this.#pending++;
    const matches = await this.compare(creds.password, hash).catch(() => false);
    this.#pending--;
    const ok = matches && known !== undefined;
    if (ok) this.#remember(key);
    return ok ? "ok" : "denied";
  }

  #remember(key: string): void {
    this.#cache.set(key, true);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
  }
}

/** parseBasic decodes `Basic base64(user:password)`; the password may contain colons, the user not. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1] as string, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
