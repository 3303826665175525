import { ErrorCodes, NfpromError } from "../errors.js";
import { EBUSY, ENOENT, EPERM } from "../netlink/constants.js";
import { checkMessage, KernelError, type NetlinkMessage, parseMessages } from "../netlink/message.js";
import type { NetlinkSocket } from "../netlink/socket.js";
import { FAMILIES, familyName, NFT_MSG_NEWCHAIN, nftMessageType } from "./constants.js";
import { dumpMessages, nextSequence, permissionError } from "./dump.js";
import { getChainRequest, getRulesRequest } from "./requests.js";
import { RuleOrder } from "./rule-order.js";

/** ChainRef names one chain; family 0 (NFPROTO_UNSPEC) means "this table name in every family". */
export interface ChainRef {
  family: number;
  table: string;
  chain: string;
}

/** Lookup order for family 0: the families accounting chains usually live in first. */
const LOOKUP_ORDER = [
  FAMILIES.inet,
  FAMILIES.ip,
  FAMILIES.ip6,
  FAMILIES.netdev,
  FAMILIES.bridge,
  FAMILIES.arp,
];

/**
 * dumpRules streams the rule messages of a chain to `onRule`, datagram by datagram, and resolves at
 * NLMSG_DONE; the caller decodes them (rule.ts: addRuleCounters, or ruleFromMessage when it needs the
 * expressions). `shouldStop` is checked after every datagram (the deadline). Errors: NFPROM_DUMP_INTR when
 * the ruleset changed during the dump (flagged by the kernel, or rules out of order: rule-order.ts),
 * NFPROM_EPERM without CAP_NET_ADMIN, NFPROM_TIMEOUT, NFPROM_DECODE. After any error the socket is mid-dump
 * and must be closed by the caller.
 */
export async function dumpRules(
  sock: NetlinkSocket,
  ref: ChainRef,
  onRule: (msg: NetlinkMessage) => void,
  shouldStop: () => boolean,
): Promise<void> {
  const s = nextSequence();
  const order = new RuleOrder(describe(ref));
  await dumpMessages(
    sock,
    getRulesRequest(s, ref.family, ref.table, ref.chain),
    s,
    "dump rules",
    (msg) => {
      order.follow(msg.payload);
      onRule(msg);
    },
    shouldStop,
    (err) => mapKernelError(err, ref),
  );
}

/**
 * familiesWithChain looks the chain up with NFT_MSG_GETCHAIN in the given family, or in every family for
 * family 0, and returns the families where it exists. Needed because a rule dump of a missing chain is just
 * empty, and because a family-0 dump filtered by table and chain stops at the first table of that name
 * (seen on Linux 6.18), so "every family" must be read family by family. Other kernel errors throw.
 * The lookups go in one datagram, which the kernel answers message by message: one round trip, not six.
 */
export async function familiesWithChain(sock: NetlinkSocket, ref: ChainRef): Promise<number[]> {
  const candidates = ref.family === FAMILIES.all ? LOOKUP_ORDER : [ref.family];
  const pending = new Map(candidates.map((family) => [nextSequence(), family]));
  await sock.send(
    Buffer.concat([...pending].map(([s, family]) => getChainRequest(s, family, ref.table, ref.chain))),
  );
  const found = new Set<number>();
  while (pending.size > 0) {
    for (const msg of parseMessages(await sock.recv())) {
      const family = pending.get(msg.seq);
      if (family === undefined) continue;
      if (lookupAnswered(msg, { ...ref, family })) pending.delete(msg.seq);
      else if (msg.type === nftMessageType(NFT_MSG_NEWCHAIN)) found.add(family);
    }
  }
  return candidates.filter((family) => found.has(family));
}

/** lookupAnswered: true when `msg` ends its lookup (the ACK after the chain, or ENOENT); other errors throw. */
function lookupAnswered(msg: NetlinkMessage, ref: ChainRef): boolean {
  try {
    return checkMessage(msg, "look up chain");
  } catch (err) {
    if (err instanceof KernelError && err.errno === ENOENT) return true;
    throw mapKernelError(err, ref);
  }
}

/** mapKernelError gives the errnos a sysadmin can act on their own code and wording. */
function mapKernelError(err: unknown, ref: ChainRef): unknown {
  if (!(err instanceof KernelError)) return err;
  if (err.errno === EPERM) return permissionError(err);
  if (err.errno === EBUSY) {
    return new NfpromError(
      ErrorCodes.NETLINK,
      `${err.message}: a dump is still running on this socket`,
      EBUSY,
    );
  }
  return new NfpromError(ErrorCodes.NETLINK, `${describe(ref)}: ${err.message}`, err.errno);
}

/** describe renders a ChainRef the way nft(8) names it. */
export function describe(ref: ChainRef): string {
  const family = ref.family === FAMILIES.all ? "(any family)" : familyName(ref.family);
  return `chain ${ref.chain} in table ${family} ${ref.table}`;
}
