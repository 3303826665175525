import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { RuleColumnsBuilder, rulesFromColumns } from "../../../src/model/rule-columns.js";
import type { RuleCounters } from "../../../src/model/snapshot.js";
import { type NetlinkMessage, parseMessages } from "../../../src/netlink/message.js";
import { addRuleCounters, ruleCounters, ruleFromMessage } from "../../../src/nftables/rule.js";
import { datagramsOf, fixtureNames, loadFixture, repoRoot } from "../helpers/fixtures.js";
import { attr, nlmsg, u64be } from "../helpers/netlink.js";

const NEWRULE = 0x0a06;
const NESTED = 0x8000;

function ruleMessages(datagrams: Buffer[]): NetlinkMessage[] {
  return datagrams.flatMap((d) => [...parseMessages(d)]).filter((m) => m.type === NEWRULE);
}

/** The hot path's view of messages, as the rule objects the general path gives. */
function viaColumns(msgs: NetlinkMessage[]): RuleCounters[] {
  const builder = new RuleColumnsBuilder();
  for (const m of msgs) addRuleCounters(m, builder);
  return rulesFromColumns(builder.finish());
}

function viaObjects(msgs: NetlinkMessage[]): RuleCounters[] {
  return msgs.map((m) => ruleCounters(ruleFromMessage(m)));
}

function objrefFixture(): Buffer[] {
  const file = path.join(repoRoot(), "test/fixtures/sources/rules-objref.json");
  const fixture = JSON.parse(readFileSync(file, "utf8")) as { datagrams: string[] };
  return fixture.datagrams.map((h) => Buffer.from(h, "hex"));
}

describe("addRuleCounters (the scrape's decoder) agrees with ruleFromMessage + ruleCounters", () => {
  for (const name of fixtureNames()) {
    const msgs = ruleMessages(datagramsOf(loadFixture(name)));
    if (msgs.length === 0) continue;
    test(`kernel fixture ${name}: ${msgs.length} rules`, () => {
      assert.deepEqual(viaColumns(msgs), viaObjects(msgs));
    });
  }

  test("kernel fixture rules-objref: named counters (objref, objref map), two counters, none", () => {
    const msgs = ruleMessages(objrefFixture());
    const got = viaColumns(msgs);
    assert.deepEqual(got, viaObjects(msgs));
    assert.deepEqual(
      got.map((r) => [r.comment, r.bytes, r.packets, r.countsInObject ?? false]),
      [
        ["nft(service=ssh)", undefined, undefined, true],
        ["nft(service=web)", undefined, undefined, true],
        ["nft(service=http)", 180n, 3n, false],
        ["nft(service=https)", 500n, 5n, false], // the first counter statement counts
        ["nft(service=dns)", undefined, undefined, false],
      ],
    );
  });

  test("an expression whose data comes before its name is decoded by the general path", () => {
    const counter = attr(
      NESTED | 1,
      Buffer.concat([
        attr(NESTED | 2, Buffer.concat([attr(1, u64be(2n ** 64n - 1n)), attr(2, u64be(9n))])),
        attr(1, "counter\0"),
      ]),
    );
    const payload = Buffer.concat([
      Buffer.from([1, 0, 0, 0]),
      attr(3, u64be(5n)),
      attr(NESTED | 4, counter),
      attr(7, [0, 4, 0x61, 0x3d, 0x62, 0]),
    ]);
    const msgs = [...parseMessages(nlmsg({ type: NEWRULE, payload }))];
    const got = viaColumns(msgs);
    assert.deepEqual(got, viaObjects(msgs));
    assert.deepEqual(got[0], {
      family: 1,
      handle: 5n,
      comment: "a=b",
      bytes: 2n ** 64n - 1n,
      packets: 9n,
    });
  });

  test("cut anywhere, a message throws NFPROM_DECODE exactly when the general path does, else agrees", () => {
    const msgs = ruleMessages(datagramsOf(loadFixture("basic"))).concat(ruleMessages(objrefFixture()));
    let threw = 0;
    for (const msg of msgs) {
      for (let cut = 0; cut < msg.payload.length; cut++) {
        const cutMsg = { ...msg, payload: msg.payload.subarray(0, cut) };
        const outcome = (f: () => RuleCounters[]) => {
          try {
            return f();
          } catch (err) {
            assert.ok(err instanceof NfpromError && err.code === ErrorCodes.DECODE, String(err));
            return "decode error";
          }
        };
        const general = outcome(() => viaObjects([cutMsg]));
        assert.deepEqual(
          outcome(() => viaColumns([cutMsg])),
          general,
          `cut at ${cut}`,
        );
        if (general === "decode error") threw++;
      }
    }
    assert.ok(threw > 0);
  });

  test("a message of another type is refused", () => {
    const msg = { ...(ruleMessages(datagramsOf(loadFixture("basic")))[0] as NetlinkMessage), type: 0x0a03 };
    assert.throws(() => addRuleCounters(msg, new RuleColumnsBuilder()), { code: ErrorCodes.DECODE });
  });
});
