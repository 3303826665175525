import { interpretRule, type MatchFacts } from "../labels/derived.js";
import { type DerivedLabel, renderDerived } from "../labels/render.js";
import type { RuleCounters } from "../model/snapshot.js";
import type { NetlinkMessage } from "../netlink/message.js";
import { KernelError } from "../netlink/message.js";
import type { NetlinkSocket } from "../netlink/socket.js";
import { dumpMessages, nextSequence } from "../nftables/dump.js";
import { getSetElemsRequest } from "../nftables/requests.js";
import type { Rule } from "../nftables/rule.js";
import { type SetElement, setElementsFromMessage } from "../nftables/setelem.js";

const ENOENT = 2;

interface Pending {
  target: RuleCounters;
  facts: MatchFacts;
  /** Key prefix of the rule's table for its anonymous sets: family and table. */
  table: string;
}

/**
 * RuleLabeler computes the rule-derived labels of one read (-rule-labels). It only exists when the flag
 * asks for labels, so a read without it decodes and keeps nothing more than before. Rules are interpreted
 * as they stream by (their expressions are dropped right after); the anonymous sets they reference are
 * dumped once each after the rule dump, then every rule's labels are rendered into `derived`.
 */
export class RuleLabeler {
  #pending: Pending[] = [];
  #sets = new Map<string, { family: number; table: string; set: string }>();

  private constructor(readonly names: readonly DerivedLabel[]) {}

  /** create returns undefined when no derived label is asked for. */
  static create(names: readonly DerivedLabel[] | undefined): RuleLabeler | undefined {
    return names && names.length > 0 ? new RuleLabeler(names) : undefined;
  }

  /** add interprets `rule`, whose counters were stored as `target`; rules without a counter are skipped. */
  add(rule: Rule, target: RuleCounters | undefined): void {
    if (!target || target.bytes === undefined) return;
    const facts = interpretRule(rule.family, rule.exprs);
    const table = `${rule.family}\0${rule.table}`;
    for (const m of Object.values(facts)) {
      if (m.kind === "set")
        this.#sets.set(`${table}\0${m.set}`, { family: rule.family, table: rule.table, set: m.set });
    }
    this.#pending.push({ target, facts, table });
  }

  /**
   * finish dumps the referenced anonymous sets and writes each rule's `derived` values. A set that vanished
   * meanwhile (ENOENT) renders empty; other errors propagate like a failed rule dump.
   */
  async finish(sock: NetlinkSocket, shouldStop: () => boolean): Promise<void> {
    const elements = new Map<string, SetElement[]>();
    for (const [key, { family, table, set }] of this.#sets) {
      const got = await dumpSet(sock, family, table, set, shouldStop);
      if (got) elements.set(key, got);
    }
    for (const { target, facts, table } of this.#pending) {
      target.derived = renderDerived(facts, this.names, (set) => elements.get(`${table}\0${set}`));
    }
  }
}

async function dumpSet(
  sock: NetlinkSocket,
  family: number,
  table: string,
  set: string,
  shouldStop: () => boolean,
): Promise<SetElement[] | undefined> {
  const seq = nextSequence();
  const out: SetElement[] = [];
  const collect = (msg: NetlinkMessage) => out.push(...setElementsFromMessage(msg));
  try {
    await dumpMessages(
      sock,
      getSetElemsRequest(seq, family, table, set),
      seq,
      `dump set ${set}`,
      collect,
      shouldStop,
    );
  } catch (err) {
    if (err instanceof KernelError && err.errno === ENOENT) return undefined;
    throw err;
  }
  return out;
}
