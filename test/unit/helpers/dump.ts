import { NLMSG_DONE, NLMSG_NOOP } from "../../../src/netlink/constants.js";
import { checkMessage, parseMessages } from "../../../src/netlink/message.js";
import { counterOf, type Rule, ruleFromMessage } from "../../../src/nftables/rule.js";

/** DecodedRule is a rule reduced to what the fixtures' `rules` record. */
export interface DecodedRule {
  family: number;
  table: string;
  chain: string;
  handle: bigint;
  bytes: bigint | undefined;
  packets: bigint | undefined;
  comment: string | undefined;
}

/** reduce keeps identity, counter and comment of a decoded rule. */
export function reduce(rule: Rule): DecodedRule {
  const c = counterOf(rule);
  return {
    family: rule.family,
    table: rule.table,
    chain: rule.chain,
    handle: rule.handle,
    bytes: c?.bytes,
    packets: c?.packets,
    comment: rule.comment,
  };
}

/**
 * decodeDump decodes a rule dump the way nftables/chain-dump.ts does, without a socket: every message is
 * checked, DONE ends the dump, NOOP is skipped, everything else must be a rule. Throws what they throw.
 */
export function decodeDump(datagrams: readonly Buffer[]): { rules: DecodedRule[]; done: boolean } {
  const rules: DecodedRule[] = [];
  for (const datagram of datagrams) {
    for (const msg of parseMessages(datagram)) {
      checkMessage(msg, "dump rules");
      if (msg.type === NLMSG_DONE) return { rules, done: true };
      if (msg.type === NLMSG_NOOP) continue;
      rules.push(reduce(ruleFromMessage(msg)));
    }
  }
  return { rules, done: false };
}
