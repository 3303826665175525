import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, NfpromError } from "../../../src/errors.js";
import { type NetlinkMessage, parseMessages } from "../../../src/netlink/message.js";
import { FAMILIES } from "../../../src/nftables/constants.js";
import { NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA } from "../../../src/nftables/constants-sources.js";
import { counterObjectFromMessage, objectFromMessage } from "../../../src/nftables/object.js";
import { countsInNamedObject, ruleFromMessage } from "../../../src/nftables/rule.js";
import { datagramsOf, loadFixture } from "../helpers/fixtures.js";
import { fixtureMessages } from "../helpers/messages.js";
import { attr, nlmsg, u32be, u64be } from "../helpers/netlink.js";

const U64_MAX = (1n << 64n) - 1n;

describe("objectFromMessage on a real GETOBJ dump (test/fixtures/sources/objects.json)", () => {
  const { messages, done } = fixtureMessages("sources/objects");
  const objects = messages.map(objectFromMessage);
  const byName = new Map(objects.map((o) => [o.name, o]));

  test("every object of every family, then DONE", () => {
    assert.ok(done);
    assert.deepEqual(objects.map((o) => `${o.family}/${o.table}/${o.name}`).sort(), [
      `${FAMILIES.inet}/firewall/huge`,
      `${FAMILIES.inet}/firewall/lim`,
      `${FAMILIES.inet}/firewall/plain`,
      `${FAMILIES.inet}/firewall/ssh_in`,
      `${FAMILIES.inet}/firewall/web_over`,
      `${FAMILIES.inet}/firewall/web_until`,
      `${FAMILIES.ip}/other/c2`,
    ]);
  });

  test("named counters: exact u64 values and the object's comment", () => {
    assert.deepEqual(byName.get("ssh_in")?.counter, { bytes: 3456n, packets: 12n });
    assert.equal(byName.get("ssh_in")?.comment, "nft(service=ssh;dir=in)");
    assert.equal(byName.get("ssh_in")?.type, NFT_OBJECT_COUNTER);
    assert.deepEqual(byName.get("huge")?.counter, { bytes: U64_MAX, packets: U64_MAX - 1n });
    assert.deepEqual(byName.get("plain")?.counter, { bytes: 0n, packets: 0n });
    assert.equal(byName.get("plain")?.comment, undefined);
    assert.deepEqual(byName.get("c2")?.counter, { bytes: 60n, packets: 1n });
  });

  test("quotas: limit, used, the inverted flag; other object types carry no state", () => {
    const until = byName.get("web_until");
    assert.equal(until?.type, NFT_OBJECT_QUOTA);
    assert.deepEqual(until?.quota, { bytes: 1_000_000n, consumed: 12_345n, flags: 0 });
    assert.equal(until?.comment, "nft(plan=basic)");
    assert.deepEqual(byName.get("web_over")?.quota, { bytes: 1000n, consumed: 999n, flags: 1 });
    assert.equal(byName.get("lim")?.counter, undefined);
    assert.equal(byName.get("lim")?.quota, undefined);
  });

  test("a truncated object is NFPROM_DECODE, never a crash", () => {
    const msg = messages[0];
    assert.ok(msg);
    const cut = { ...msg, payload: msg.payload.subarray(0, msg.payload.length - 3) };
    assert.throws(
      () => objectFromMessage(cut),
      (e: unknown) => e instanceof NfpromError && e.code === ErrorCodes.DECODE,
    );
  });
});

describe("objectFromMessage field order", () => {
  test("data sent before the type is decoded once the type is known, like the kernel's order", () => {
    const counter = attr(0x8000 | 4, Buffer.concat([attr(1, u64be(U64_MAX)), attr(2, u64be(3n))]));
    const head = Buffer.concat([Buffer.from([FAMILIES.inet, 0, 0, 0]), attr(1, "t\0"), attr(2, "c\0")]);
    const type = attr(3, u32be(NFT_OBJECT_COUNTER));
    const decode = (...attrs: Buffer[]) =>
      objectFromMessage(
        [
          ...parseMessages(nlmsg({ type: 0x0a12, payload: Buffer.concat([head, ...attrs]) })),
        ][0] as NetlinkMessage,
      );
    const kernelOrder = decode(type, counter);
    assert.deepEqual(kernelOrder.counter, { bytes: U64_MAX, packets: 3n });
    assert.deepEqual(decode(counter, type), kernelOrder);
  });
});

describe("countsInNamedObject", () => {
  test("a rule with `counter name` (objref) counts in the object; one with `counter` does not", () => {
    const rules = datagramsOf(loadFixture("basic"))
      .flatMap((d) => [...parseMessages(d)])
      .filter((m) => m.payload.length > 4 && m.type === 0x0a06)
      .map((m) => ruleFromMessage(m));
    assert.ok(rules.length > 0 && rules.every((r) => !countsInNamedObject(r)));
    const objref = {
      ...(rules[0] as (typeof rules)[0]),
      exprs: [{ kind: "unknown" as const, name: "objref" }],
    };
    assert.ok(countsInNamedObject(objref));
  });
});

describe("counterObjectFromMessage (the scrape's decoder for named counters)", () => {
  const { messages } = fixtureMessages("sources/objects");

  test("agrees with objectFromMessage on every object of a real dump; other types are left to it", () => {
    const words = new Uint32Array(4);
    const values = new BigUint64Array(words.buffer);
    let counters = 0;
    for (const msg of messages) {
      const general = objectFromMessage(msg);
      const fast = counterObjectFromMessage(msg, words);
      if (general.type !== NFT_OBJECT_COUNTER) {
        assert.equal(fast, undefined, general.name);
        continue;
      }
      counters++;
      const { family, table, name, comment } = general;
      assert.deepEqual(fast, { family, table, name, comment });
      assert.deepEqual([...values], [general.counter?.bytes, general.counter?.packets], name);
    }
    assert.ok(counters >= 3);
  });

  test("cut anywhere, it throws NFPROM_DECODE exactly when objectFromMessage does", () => {
    const words = new Uint32Array(4);
    for (const msg of messages) {
      for (let cut = 4; cut < msg.payload.length; cut++) {
        const cutMsg = { ...msg, payload: msg.payload.subarray(0, cut) };
        const threw = (f: () => unknown) => {
          try {
            f();
            return false;
          } catch (err) {
            assert.ok(err instanceof NfpromError && err.code === ErrorCodes.DECODE, String(err));
            return true;
          }
        };
        assert.equal(
          threw(() => counterObjectFromMessage(cutMsg, words)),
          threw(() => objectFromMessage(cutMsg)),
          `cut at ${cut}`,
        );
      }
    }
  });
});
