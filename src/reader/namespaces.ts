import { isUtf8 } from "node:buffer";
import { join } from "node:path";
import { fs } from "../builtins.js";
import { toErrorInfo } from "../errors.js";
import type { Logger } from "../log.js";
import { glob } from "../model/pattern.js";
import type { NetnsRead, Snapshot } from "../model/snapshot.js";
import { type NetnsRef, namespaceIdentity } from "../netlink/netns.js";
import { CAP_SYS_ADMIN, CAP_SYS_PTRACE } from "../privileges/caps.js";
import { emptyReadStats, type ReadStats } from "./collector.js";

const { readdirSync, statSync } = fs;

/** Where ip-netns(8) (and systemd, Docker's `--net=ns:`) bind-mount named network namespaces. */
export const NETNS_DIR = "/run/netns";

/**
 * NetnsTarget is one selected namespace: its label, the path it is entered by, and its identity (device
 * and inode: a namespace deleted and made again under its name differs).
 */
export interface NetnsTarget extends NetnsRef {
  /** The `netns` label: the name under /run/netns, or the path as given. */
  label: string;
}

/**
 * selectNamespaces resolves the -netns values now: names and globs against the entries of `dir`, `all` as
 * every entry, paths as given. A path that cannot be stat'ed is still selected (its read then fails, and
 * says so: it was asked for by name); a name that vanished between the listing and its stat is not. Each
 * namespace is read once: under its name when a name or glob selects it, else under the first path.
 */
export function selectNamespaces(selectors: readonly string[], dir = NETNS_DIR): NetnsTarget[] {
  const globs = selectors.filter((s) => !s.startsWith("/")).map((s) => glob(s === "all" ? "*" : s));
  const targets: NetnsTarget[] = [];
  const seen = new Set<string>();
  const add = (label: string, path: string | Buffer, id: string | undefined) => {
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    targets.push({ label, path, id });
  };
  for (const { name, path } of globs.length > 0 ? entries(dir) : []) {
    if (globs.some((matches) => matches(name))) add(name, path, identity(path));
  }
  for (const path of selectors.filter((s) => s.startsWith("/"))) {
    add(path, path, identity(path) ?? `unreadable:${path}`);
  }
  return targets;
}

/**
 * entries: the names in `dir`, sorted. ip-netns(8) takes any bytes for a name; one that is no UTF-8 has
 * no JS string path, so it is entered by its bytes and named by them, each byte above 0x7f as `\xNN`.
 */
function entries(dir: string): { name: string; path: string | Buffer }[] {
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: "buffer" });
  } catch {
    return []; // no /run/netns yet: no named namespace
  }
  return names
    .map((raw) =>
      isUtf8(raw)
        ? { name: raw.toString(), path: join(dir, raw.toString()) }
        : { name: escapeBytes(raw), path: Buffer.concat([Buffer.from(`${dir}/`), raw]) },
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function escapeBytes(raw: Buffer): string {
  return [...raw]
    .map((b) => (b > 0x7f ? `\\x${b.toString(16).padStart(2, "0")}` : String.fromCharCode(b)))
    .join("");
}

function identity(path: string | Buffer): string | undefined {
  try {
    return namespaceIdentity(statSync(path));
  } catch {
    return undefined;
  }
}

/** netnsCapabilities: what the reader keeps beyond reading, for -netns (see docs/namespaces.md). */
export function netnsCapabilities(selectors: readonly string[]): number[] {
  if (selectors.length === 0) return [];
  // /proc/<pid>/ns/net of a process with other credentials or capabilities: a ptrace access check.
  const procPaths = selectors.some((s) => s.startsWith("/proc/"));
  return procPaths ? [CAP_SYS_ADMIN, CAP_SYS_PTRACE] : [CAP_SYS_ADMIN];
}

/** NamespaceReader is what NetnsReader keeps per namespace: a Collector whose sockets live there. */
export interface NamespaceReader {
  read(deadlineAt: number): Promise<Snapshot>;
  close(): void;
  readonly stats: ReadStats;
}

interface Entry {
  target: NetnsTarget;
  reader: NamespaceReader;
}

/**
 * NetnsReader reads every selected network namespace at each read, each through its own reader (so each
 * has its own sockets, its own whole-read proof and generation, its own stale fallback), concurrently.
 * The selection is resolved again at every read: a namespace that appeared is read from then on, one that
 * is gone is closed and dropped. A namespace whose read fails is reported with its error; the others are
 * served all the same.
 */
export class NetnsReader {
  readonly #entries = new Map<string, Entry>();
  /** The counters of readers closed since: the sums stay monotonic when a namespace goes away. */
  readonly #retired: ReadStats = emptyReadStats();

  constructor(
    readonly selectors: readonly string[],
    readonly readerFor: (ns: NetnsRef) => NamespaceReader,
    readonly log: Logger,
    readonly dir = NETNS_DIR,
  ) {}

  /** read resolves with one outcome per selected namespace, in selection order; it never rejects. */
  read(deadlineAt: number): Promise<NetnsRead[]> {
    return Promise.all(
      this.#select().map(async ({ target, reader }): Promise<NetnsRead> => {
        try {
          return { netns: target.label, snapshot: await reader.read(deadlineAt) };
        } catch (err) {
          const error = toErrorInfo(err);
          this.log.warnRepeated(`netns read failed: ${target.label}`, "namespace read failed", {
            netns: target.label,
            code: error.code,
            err: error.message,
          });
          return { netns: target.label, error };
        }
      }),
    );
  }

  /** stats sums the counters of every namespace's reader, present and past. */
  get stats(): ReadStats {
    const sum = emptyReadStats();
    for (const stats of [this.#retired, ...[...this.#entries.values()].map((e) => e.reader.stats)])
      addStats(sum, stats);
    return sum;
  }

  close(): void {
    for (const id of [...this.#entries.keys()]) this.#retire(id);
  }

  /** #select resolves the selection and brings the readers in line with it. */
  #select(): Entry[] {
    const targets = selectNamespaces(this.selectors, this.dir);
    const ids = new Set(targets.map((t) => t.id));
    for (const id of [...this.#entries.keys()]) if (!ids.has(id)) this.#retire(id);
    return targets.map((target) => {
      let entry = this.#entries.get(target.id);
      if (!entry || entry.target.label !== target.label) {
        if (entry) this.#retire(target.id);
        entry = { target, reader: this.readerFor(target) };
        this.#entries.set(target.id, entry);
        this.log.info("reading network namespace", { netns: target.label, path: String(target.path) });
      }
      return entry;
    });
  }

  #retire(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    entry.reader.close();
    addStats(this.#retired, entry.reader.stats);
    this.log.info("network namespace dropped", { netns: entry.target.label });
  }
}

function addStats(to: ReadStats, from: ReadStats): void {
  for (const [code, n] of Object.entries(from.readErrors) as [keyof ReadStats["readErrors"], number][])
    to.readErrors[code] = (to.readErrors[code] ?? 0) + n;
  for (const reason of Object.keys(to.retries) as (keyof ReadStats["retries"])[])
    to.retries[reason] += from.retries[reason];
  for (const reason of Object.keys(to.staleServed) as (keyof ReadStats["staleServed"])[])
    to.staleServed[reason] += from.staleServed[reason];
}
