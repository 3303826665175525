import { NLMSG_DONE, NLMSG_NOOP } from "../../../src/netlink/constants.js";
import { checkMessage, type NetlinkMessage, parseMessages } from "../../../src/netlink/message.js";
import { datagramsOf, loadFixture } from "./fixtures.js";

/**
 * fixtureMessages returns the data messages of a captured dump (checked like a live dump: errors throw,
 * NOOP skipped) and whether NLMSG_DONE ended it.
 */
export function fixtureMessages(name: string): { messages: NetlinkMessage[]; done: boolean } {
  const messages: NetlinkMessage[] = [];
  for (const datagram of datagramsOf(loadFixture(name))) {
    for (const msg of parseMessages(datagram)) {
      checkMessage(msg, name);
      if (msg.type === NLMSG_DONE) return { messages, done: true };
      if (msg.type !== NLMSG_NOOP) messages.push(msg);
    }
  }
  return { messages, done: false };
}
