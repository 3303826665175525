import { type ErrorCode, ErrorCodes, NfpromError } from "../errors.js";
import type { DerivedLabel } from "../labels/render.js";
import { RuleColumnsBuilder } from "../model/rule-columns.js";
import type { Snapshot } from "../model/snapshot.js";
import { NETLINK_NETFILTER } from "../netlink/constants.js";
import type { NetlinkMessage } from "../netlink/message.js";
import { NetlinkSocket } from "../netlink/socket.js";
import { type ChainRef, describe, dumpRules, familiesWithChain } from "../nftables/chain-dump.js";
import { FAMILIES, familyName } from "../nftables/constants.js";
import { ruleCounters, ruleFromMessage } from "../nftables/rule.js";
import { RepeatReader } from "../nftables/rule-reuse.js";
import { RuleLabeler } from "./derive.js";

export interface ChainReaderOptions {
  /** Dumps started per read before NLM_F_DUMP_INTR is reported as an error. */
  maxAttempts: number;
  /** Upper bound of one dump, whatever deadline a caller asks for. */
  maxReadMs: number;
  /** Bound on one blocking receive (SO_RCVTIMEO). */
  recvTimeoutMs: number;
  /** Rule-derived labels to compute (-rule-labels); none: the match expressions are not even decoded. */
  ruleLabels?: readonly DerivedLabel[];
}

/**
 * ChainReader reads one chain on demand. Concurrent callers share the dump in flight (single-flight); each
 * caller still gets an answer by its own deadline. The netlink socket stays open between reads and is
 * replaced after any failed or abandoned dump, because the kernel would answer the next dump with EBUSY.
 */
export class ChainReader {
  readonly stats = { dumpInterrupted: 0, readErrors: {} as Partial<Record<ErrorCode, number>> };
  #sock: NetlinkSocket | undefined;
  #inflight: Promise<Snapshot> | undefined;
  /** Rules of the last complete read: the next read's columns are allocated for that many. */
  #lastCount = 0;
  /** Decodes the dumps, taking from the last read what a message shows is unchanged (rule-reuse.ts). */
  readonly #repeat = new RepeatReader();

  constructor(
    readonly ref: ChainRef,
    readonly options: ChainReaderOptions,
  ) {}

  /** read resolves with a fresh snapshot or rejects with an NfpromError by `deadlineAt` (epoch ms). */
  read(deadlineAt: number): Promise<Snapshot> {
    if (!this.#inflight) {
      this.#inflight = this.#readWithRetries().finally(() => {
        this.#inflight = undefined;
      });
    }
    return withDeadline(this.#inflight, deadlineAt);
  }

  /** close releases the socket (on shutdown). */
  close(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }

  async #readWithRetries(): Promise<Snapshot> {
    const started = Date.now();
    const hardDeadline = started + this.options.maxReadMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#readOnce(started, hardDeadline, attempt);
      } catch (err) {
        this.#discardSocket();
        const retry = err instanceof NfpromError && err.code === ErrorCodes.DUMP_INTR;
        if (retry) this.stats.dumpInterrupted++;
        if (retry && attempt < this.options.maxAttempts && Date.now() < hardDeadline) continue;
        const code = err instanceof NfpromError ? err.code : ErrorCodes.NETLINK;
        this.stats.readErrors[code] = (this.stats.readErrors[code] ?? 0) + 1;
        if (retry) {
          throw new NfpromError(
            ErrorCodes.DUMP_INTR,
            `ruleset changed during each of ${attempt} dumps; giving up`,
          );
        }
        throw err;
      }
    }
  }

  async #readOnce(started: number, hardDeadline: number, attempt: number): Promise<Snapshot> {
    const sock = this.#socket();
    const rules = new RuleColumnsBuilder(this.#lastCount);
    const labeler = RuleLabeler.create(this.options.ruleLabels);
    // Derived labels interpret the match expressions: only then is every expression decoded.
    const collect = labeler
      ? (msg: NetlinkMessage) => {
          const rule = ruleFromMessage(msg, "all");
          const counters = ruleCounters(rule);
          const index = rules.addRule(counters);
          if (counters.bytes !== undefined) labeler.add(rule, index); // uncounted rules are not exported
        }
      : (msg: NetlinkMessage) => this.#repeat.add(msg);
    if (!labeler) this.#repeat.begin(rules);
    const pastDeadline = () => Date.now() > hardDeadline;
    if (this.ref.family === FAMILIES.all) {
      const families = await familiesWithChain(sock, this.ref);
      if (families.length === 0) throw missing(this.ref);
      for (const family of families) await dumpRules(sock, { ...this.ref, family }, collect, pastDeadline);
    } else {
      await dumpRules(sock, this.ref, collect, pastDeadline);
      // An empty dump is also what a missing table or chain looks like: ask the kernel which it is.
      if (rules.count === 0 && (await familiesWithChain(sock, this.ref)).length === 0)
        throw missing(this.ref);
    }
    await labeler?.finish(sock, pastDeadline, rules);
    this.#lastCount = rules.count;
    const columns = rules.finish();
    if (!labeler) this.#repeat.finish(columns);
    const readAtMs = Date.now();
    return {
      family: familyName(this.ref.family),
      table: this.ref.table,
      chain: this.ref.chain,
      readAtMs,
      readDurationMs: readAtMs - started,
      attempts: attempt,
      rules: columns,
      ...(labeler && { derivedLabels: [...labeler.names] }),
    };
  }

  #socket(): NetlinkSocket {
    if (!this.#sock || this.#sock.closed) {
      this.#sock = NetlinkSocket.open({
        protocol: NETLINK_NETFILTER,
        recvTimeoutMs: this.options.recvTimeoutMs,
      });
    }
    return this.#sock;
  }

  #discardSocket(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }
}

function missing(ref: ChainRef): NfpromError {
  return new NfpromError(ErrorCodes.NO_TABLE, `${describe(ref)} does not exist`);
}

/** withDeadline settles like `p`, or rejects with NFPROM_TIMEOUT at `deadlineAt`, whichever is first. */
function withDeadline<T>(p: Promise<T>, deadlineAt: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new NfpromError(ErrorCodes.TIMEOUT, "read deadline exceeded")),
      Math.max(0, deadlineAt - Date.now()),
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
