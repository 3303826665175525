import assert from "node:assert/strict";
import { test } from "node:test";
import { chainFromMessage } from "../../../src/nftables/chain.js";
import { FAMILIES } from "../../../src/nftables/constants.js";
import { fixtureMessages } from "../helpers/messages.js";

test("chainFromMessage lists every chain of a family-0 GETCHAIN dump (test/fixtures/sources/chains.json)", () => {
  const { messages, done } = fixtureMessages("sources/chains");
  assert.ok(done);
  assert.deepEqual(messages.map(chainFromMessage), [
    { family: FAMILIES.inet, table: "firewall", chain: "accounting" },
    { family: FAMILIES.bridge, table: "firewall2", chain: "accounting" },
  ]);
});
