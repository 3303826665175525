import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { elementKeyText, keyedElements } from "../../../src/labels/setkey.js";
import { FAMILIES } from "../../../src/nftables/constants.js";
import { NFT_SET_INTERVAL } from "../../../src/nftables/constants-sources.js";
import { type NftSet, setFromMessage } from "../../../src/nftables/set.js";
import { setElementsFromMessage, visitSetElements } from "../../../src/nftables/setelem.js";
import { fixtureMessages } from "../helpers/messages.js";

/** The sets a GETSET dump fixture declares, by name. */
function declaredSets(fixture: string): Map<string, NftSet> {
  return new Map(fixtureMessages(fixture).messages.map((m) => [setFromMessage(m).name, setFromMessage(m)]));
}

/** [key, bytes] of each element of an element dump fixture, keyed like the sets source does it. */
function keyedBytes(set: NftSet | undefined, fixture: string): [string, bigint | undefined][] {
  const elements = fixtureMessages(fixture).messages.flatMap(setElementsFromMessage);
  return keyedElements(set as NftSet, elements).map(([k, e]) => [k, e.counter?.bytes]);
}

const sets = declaredSets("sources/sets");
const shapes = declaredSets("sources/sets-shapes");
const keySets = declaredSets("sources/sets-keys");

/** Elements of fixture setelem-counters-<name>, keyed like the sets source does it. */
function keyed(name: string): [string, { bytes: bigint; packets: bigint } | undefined, string | undefined][] {
  const { messages, done } = fixtureMessages(`sources/setelem-counters-${name}`);
  assert.ok(done);
  const elements = messages.flatMap(setElementsFromMessage);
  return keyedElements(sets.get(name) as NftSet, elements).map(([k, e]) => [k, e.counter, e.comment]);
}

describe("setFromMessage on a real GETSET dump (test/fixtures/sources/sets.json)", () => {
  test("declarations: key type and length, flags, whether elements carry expressions", () => {
    assert.deepEqual([...sets.keys()], ["clients", "nets", "v6", "ports", "pairs", "plain"]);
    const nets = sets.get("nets");
    assert.equal(nets?.family, FAMILIES.inet);
    assert.equal(nets?.table, "firewall");
    assert.equal((nets?.flags ?? 0) & NFT_SET_INTERVAL, NFT_SET_INTERVAL);
    assert.deepEqual([nets?.keyType, nets?.keyLen], [7, 4]);
    assert.deepEqual([sets.get("v6")?.keyType, sets.get("v6")?.keyLen], [8, 16]);
    assert.deepEqual([sets.get("ports")?.keyType, sets.get("ports")?.keyLen], [13, 2]);
    // ipv4_addr . inet_service: 7 << 6 | 13, each part padded to 4 bytes.
    assert.deepEqual([sets.get("pairs")?.keyType, sets.get("pairs")?.keyLen], [(7 << 6) | 13, 8]);
    assert.equal(sets.get("clients")?.hasExpressions, true);
    assert.equal(sets.get("plain")?.hasExpressions, false);
  });
});

describe("set elements with counters: decoded and keyed as nft prints them", () => {
  test("dynamic ipv4 set filled by add element", () => {
    assert.deepEqual(keyed("clients").sort(), [
      ["203.0.113.1", { bytes: 900n, packets: 9n }, undefined],
      ["203.0.113.2", { bytes: 99n, packets: 1n }, undefined],
    ]);
  });

  test("interval set: CIDR block, single address, range; comments; end boundaries dropped", () => {
    assert.deepEqual(keyed("nets"), [
      ["10.0.0.0/8", { bytes: 300n, packets: 3n }, undefined],
      ["192.0.2.1", { bytes: 60n, packets: 1n }, undefined],
      ["198.51.100.10-198.51.100.20", { bytes: 120n, packets: 2n }, "nft(site=lab)"],
    ]);
  });

  test("ipv6, inet_service and a concatenation", () => {
    assert.deepEqual(keyed("v6"), [["2001:db8::1", { bytes: 400n, packets: 4n }, "nft(host=a)"]]);
    assert.deepEqual(keyed("ports").sort(), [
      ["22", { bytes: 500n, packets: 5n }, undefined],
      ["443", { bytes: 600n, packets: 6n }, undefined],
    ]);
    assert.deepEqual(keyed("pairs"), [["192.0.2.7 . 53", { bytes: 700n, packets: 7n }, undefined]]);
  });

  test("a key type nfprom does not know is printed as hex, byte by byte", () => {
    const shape = { keyType: 22, keyLen: 4, flags: 0 }; // realm
    const el = {
      key: Buffer.from("0000002a", "hex"),
      keyEnd: undefined,
      flags: 0,
      counter: { bytes: 1n, packets: 1n },
    };
    assert.deepEqual(
      keyedElements(shape, [el]).map(([k]) => k),
      ["0x0000002a"],
    );
  });
});

describe("keys beyond plain values, as nft prints them (sets-shapes.json, sets-keys.json)", () => {
  const cases: [string, NftSet | undefined, string, [string, bigint][]][] = [
    [
      "a verdict map's key (the verdict is not a label)",
      shapes.get("vm"),
      "shapes-vm",
      [["192.0.2.1", 200n]],
    ],
    [
      "concatenated intervals (pipapo sends an inclusive KEY_END): a prefix and a port range",
      shapes.get("cc"),
      "shapes-cc",
      [
        ["10.0.0.0/24 . 1000-2000", 10n],
        ["192.0.2.5 . 22", 30n],
      ],
    ],
    ["an IPv6 prefix", shapes.get("v6n"), "shapes-v6n", [["2001:db8::/32", 40n]]],
    ["an ether_addr", shapes.get("eth"), "shapes-eth", [["02:00:00:00:00:01", 50n]]],
    ["a mark, kept by the kernel in host byte order", keySets.get("mk"), "keys-mk", [["0x0000002a", 60n]]],
    ["a mark . inet_service concatenation", keySets.get("mkp"), "keys-mkp", [["0x00000007 . 22", 70n]]],
    [
      "protocols by the names nft prints for the common ones, others by number",
      keySets.get("pr"),
      "keys-pr",
      [
        ["253", 20n],
        ["tcp", 10n],
      ],
    ],
    [
      "ether types by nft's names where it has one, else 0x and 4 hex digits",
      keySets.get("et"),
      "keys-et",
      [
        ["0x1234", 90n],
        ["ip6", 80n],
      ],
    ],
  ];
  for (const [title, set, fixture, expected] of cases) {
    test(title, () => assert.deepEqual(keyedBytes(set, `sources/setelem-${fixture}`).sort(), expected));
  }

  test("a mark set is declared with nft's mark type", () => {
    assert.deepEqual([keySets.get("mk")?.keyType, keySets.get("mk")?.keyLen], [19, 4]);
  });
});

describe("elementKeyText (the sets source's path) prints every key as keyedElements does", () => {
  const cases: [NftSet, string][] = [
    ...["clients", "v6", "ports", "pairs"].map((n): [NftSet, string] => [
      sets.get(n) as NftSet,
      `sources/setelem-counters-${n}`,
    ]),
    ...["vm", "cc", "eth", "v6n"].map((n): [NftSet, string] => [
      shapes.get(n) as NftSet,
      `sources/setelem-shapes-${n}`,
    ]),
    ...["mk", "mkp", "et", "pr"].map((n): [NftSet, string] => [
      keySets.get(n) as NftSet,
      `sources/setelem-keys-${n}`,
    ]),
  ];
  for (const [set, fixture] of cases) {
    test(`${set.name} (${fixture})`, () => {
      const { messages } = fixtureMessages(fixture);
      const expected = keyedElements(set, messages.flatMap(setElementsFromMessage));
      if (set.flags & NFT_SET_INTERVAL && !expected.some(([, e]) => e.keyEnd)) return; // boundaries: keyedElements
      const keyText = elementKeyText(set);
      const got: [string, bigint[]][] = [];
      for (const m of messages)
        visitSetElements(m, (v) => {
          if (v.counted) got.push([keyText(v), [...new BigUint64Array(v.counter.slice().buffer)]]);
        });
      assert.ok(got.length > 0);
      assert.deepEqual(
        got,
        expected.map(([k, e]) => [k, [e.counter?.bytes, e.counter?.packets]]),
      );
    });
  }
});
