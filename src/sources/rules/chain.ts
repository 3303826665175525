import { ErrorCodes, NfpromError } from "../../errors.js";
import type { DerivedLabel } from "../../labels/render.js";
import { RuleColumnsBuilder } from "../../model/rule-columns.js";
import type { Snapshot } from "../../model/snapshot.js";
import type { NetlinkMessage } from "../../netlink/message.js";
import type { NetnsRef } from "../../netlink/netns.js";
import type { NetlinkSocket, SocketOpener } from "../../netlink/socket.js";
import { type ChainRef, describe, dumpRules, familiesWithChain } from "../../nftables/chain-dump.js";
import { FAMILIES, familyName } from "../../nftables/constants.js";
import { ruleCounters, ruleFromMessage } from "../../nftables/rule.js";
import { RepeatReader } from "../../nftables/rule-reuse.js";
import { SourceRunner } from "../runner.js";
import { RuleLabeler } from "./derive.js";

export interface ChainReaderOptions {
  /** Bound on one blocking receive (SO_RCVTIMEO). */
  recvTimeoutMs: number;
  /** The network namespace to read (netlink/netns.ts); absent: the reader's own. */
  netns?: NetnsRef;
  /** Rule-derived labels to compute (-rule-labels); none: the match expressions are not even decoded. */
  ruleLabels?: readonly DerivedLabel[];
  /** Opens the reader's sockets; the real netlink socket unless a test's fake kernel. */
  openSocket?: SocketOpener;
}

/**
 * ChainReader reads one chain, one attempt per call (the collector proves reads whole and retries them),
 * through a SourceRunner like every source: the same socket lifecycle and error codes.
 */
export class ChainReader {
  readonly #runner: SourceRunner<Snapshot>;
  /** Rules of the last complete read: the next read's columns are allocated for that many. */
  #lastCount = 0;
  /** Decodes the dumps, taking from the last read what a message shows is unchanged (rule-reuse.ts). */
  readonly #repeat = new RepeatReader();

  constructor(
    readonly ref: ChainRef,
    readonly options: ChainReaderOptions,
  ) {
    const collect = (sock: NetlinkSocket, shouldStop: () => boolean) => this.#readOnce(sock, shouldStop);
    this.#runner = new SourceRunner({ name: "rules", collect }, options);
  }

  /** read dumps the chain, checking `shouldStop` (the read's hard bound) between datagrams. */
  read(shouldStop: () => boolean): Promise<Snapshot> {
    return this.#runner.collect(shouldStop);
  }

  /** close releases the socket (on shutdown). */
  close(): void {
    this.#runner.close();
  }

  async #readOnce(sock: NetlinkSocket, pastDeadline: () => boolean): Promise<Snapshot> {
    const started = Date.now();
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
      attempts: 1,
      rules: columns,
      ...(labeler && { derivedLabels: [...labeler.names] }),
    };
  }
}

function missing(ref: ChainRef): NfpromError {
  return new NfpromError(ErrorCodes.NO_TABLE, `${describe(ref)} does not exist`);
}
