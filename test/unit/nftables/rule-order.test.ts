import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import type { NetlinkMessage } from "../../../src/netlink/message.js";
import { RuleOrder } from "../../../src/nftables/rule-order.js";
import { fixtureMessages } from "../helpers/messages.js";

// Rule dumps captured from the kernel: basic (7 rules, one datagram), multipart (several datagrams).
const FIXTURES = ["basic", "multipart"];

function follow(messages: readonly NetlinkMessage[]): void {
  const order = new RuleOrder("chain accounting in table inet firewall");
  for (const msg of messages) order.follow(msg.payload);
}

function assertTorn(messages: readonly NetlinkMessage[], message: RegExp): void {
  assert.throws(
    () => follow(messages),
    (err) => err instanceof NfpromError && err.code === ErrorCodes.DUMP_INTR && message.test(err.message),
  );
}

for (const name of FIXTURES) {
  const { messages } = fixtureMessages(name);

  test(`RuleOrder accepts a whole dump as the kernel sent it (${name})`, () => {
    assert.ok(messages.length >= 7);
    follow(messages);
  });

  test(`RuleOrder: a rule sent twice is a torn dump (${name})`, () => {
    const twice = [...messages.slice(0, 4), ...messages.slice(3)];
    assertTorn(twice, /came after handle \d+, but the kernel placed it after handle \d+/);
  });

  test(`RuleOrder: a rule left out is a torn dump (${name})`, () => {
    assertTorn([...messages.slice(0, 2), ...messages.slice(3)], /the chain changed during the dump/);
  });

  test(`RuleOrder: a dump that does not start at the chain's first rule is torn (${name})`, () => {
    assertTorn(messages.slice(1), /came first, but the kernel placed it after handle/);
  });

  test(`RuleOrder: the first rule again, later, is torn (${name})`, () => {
    assertTorn([...messages.slice(0, 3), messages[0] as NetlinkMessage], /placed it first/);
  });
}

test("RuleOrder leaves a message without a handle to the decoder", () => {
  const order = new RuleOrder("chain c in table inet t");
  order.follow(Buffer.from([1, 0, 0, 0]));
  order.follow(Buffer.from([1, 0, 0, 0, 3, 0]));
});
