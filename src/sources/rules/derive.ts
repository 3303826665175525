import { interpretRule, type MatchFacts } from "../../labels/derived.js";
import { type DerivedLabel, renderDerived } from "../../labels/render.js";
import type { RuleColumnsBuilder } from "../../model/rule-columns.js";
import { ENOENT } from "../../netlink/constants.js";
import type { NetlinkMessage } from "../../netlink/message.js";
import { KernelError } from "../../netlink/message.js";
import type { NetlinkSocket } from "../../netlink/socket.js";
import { dumpMessages, nextSequence } from "../../nftables/dump.js";
import { getSetElemsRequest } from "../../nftables/requests.js";
import type { Rule } from "../../nftables/rule.js";
import { type SetElement, setElementsFromMessage } from "../../nftables/setelem.js";

interface Pending {
  /** The rule's index in the read's columns. */
  index: number;
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

  /** add interprets `rule`, stored as rule `index` of the read's columns. */
  add(rule: Rule, index: number): void {
    const facts = interpretRule(rule.family, rule.exprs);
    const table = `${rule.family}\0${rule.table}`;
    for (const m of Object.values(facts)) {
      if (m.kind === "set")
        this.#sets.set(`${table}\0${m.set}`, { family: rule.family, table: rule.table, set: m.set });
    }
    this.#pending.push({ index, facts, table });
  }

  /**
   * finish dumps the referenced anonymous sets and writes each added rule's derived values into `rules`.
   * A set that vanished meanwhile (ENOENT) renders empty; other errors propagate like a failed rule dump.
   */
  async finish(sock: NetlinkSocket, shouldStop: () => boolean, rules: RuleColumnsBuilder): Promise<void> {
    const elements = new Map<string, SetElement[]>();
    for (const [key, { family, table, set }] of this.#sets) {
      const got = await dumpSet(sock, family, table, set, shouldStop);
      if (got) elements.set(key, got);
    }
    for (const { index, facts, table } of this.#pending) {
      rules.setDerived(
        index,
        renderDerived(facts, this.names, (set) => elements.get(`${table}\0${set}`)),
      );
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
