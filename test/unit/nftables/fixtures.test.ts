import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  familyName,
  NFT_MSG_GETCHAIN,
  NFT_MSG_GETRULE,
  NFT_MSG_GETSETELEM,
  nftMessageType,
} from "../../../src/nftables/constants.js";
import { getChainRequest, getRulesRequest, getSetElemsRequest } from "../../../src/nftables/requests.js";
import { decodeDump } from "../helpers/dump.js";
import {
  bigOrUndefined,
  datagramsOf,
  type FixtureRule,
  fixtureNames,
  loadFixture,
} from "../helpers/fixtures.js";
import { hexdump } from "../helpers/netlink.js";

const GETRULE = nftMessageType(NFT_MSG_GETRULE);
const GETCHAIN = nftMessageType(NFT_MSG_GETCHAIN);
const GETSETELEM = nftMessageType(NFT_MSG_GETSETELEM);
const BUILDERS = new Map([
  [GETRULE, getRulesRequest],
  [GETCHAIN, getChainRequest],
  [GETSETELEM, getSetElemsRequest],
]);

/**
 * Fixtures whose `rules` (from `nft list`) differ from what the captured dump holds, with the rules the
 * kernel actually sent. Each entry repeats what the fixture's description says.
 */
const DUMP_HOLDS: Record<string, (r: FixtureRule) => boolean> = {
  // "GETRULE dump with family 0 AND table/chain attributes: the kernel returns only the rules of the first
  // matching table (ip), not the ip6 one, although `rules` lists both".
  unspec: (r) => r.family === "ip",
};

const names = fixtureNames();

test("the fixture set is the one these tests were written for", () => {
  assert.deepEqual(names, [
    "basic",
    "bigcounters",
    "chain-found",
    "empty",
    "matches",
    "missing-chain",
    "missing-table",
    "multipart",
    "setelem-addresses",
    "setelem-ports",
    "unspec",
    "unspec-all",
  ]);
});

describe("rule dumps decode to exactly the rules nft listed", () => {
  for (const name of names) {
    const f = loadFixture(name);
    if (f.request.type !== GETRULE) continue;
    test(name, () => {
      const { rules, done } = decodeDump(datagramsOf(f));
      assert.equal(done, true, "the dump ends with NLMSG_DONE");
      const expected = f.rules.filter(DUMP_HOLDS[name] ?? (() => true));
      assert.equal(rules.length, expected.length);
      rules.forEach((got, i) => {
        const want = expected[i] as FixtureRule;
        assert.deepEqual(
          {
            family: familyName(got.family),
            table: got.table,
            chain: got.chain,
            handle: got.handle,
            bytes: got.bytes,
            packets: got.packets,
            comment: got.comment,
          },
          {
            family: want.family,
            table: want.table,
            chain: want.chain,
            handle: BigInt(want.handle),
            bytes: bigOrUndefined(want.bytes),
            packets: bigOrUndefined(want.packets),
            comment: want.comment ?? undefined,
          },
          `rule ${i} (handle ${want.handle}) of ${name}`,
        );
      });
    });
  }

  test("bigcounters: values past 2^53 and up to 2^64-1 are exact", () => {
    const { rules } = decodeDump(datagramsOf(loadFixture("bigcounters")));
    assert.deepEqual(
      rules.map((r) => [r.bytes, r.packets]),
      [
        [2n ** 53n + 1n, 2n ** 53n + 3n],
        [2n ** 63n + 5n, 2n ** 63n + 1n],
        [2n ** 64n - 1n, 2n ** 64n - 2n],
        [0n, 0n],
      ],
    );
  });

  test("multipart: 300 rules in order across datagrams, i-th rule has bytes 1000*i+7 and packets i", () => {
    const f = loadFixture("multipart");
    assert.ok(f.datagrams.length > 2, "the dump really spans several datagrams");
    const { rules } = decodeDump(datagramsOf(f));
    assert.equal(rules.length, 300);
    rules.forEach((r, i) => {
      assert.equal(r.comment, `nft(i=${i})`);
      assert.equal(r.bytes, BigInt(1000 * i + 7));
      assert.equal(r.packets, BigInt(i));
      assert.equal(r.handle, BigInt(i + 2));
    });
  });

  test("unspec-all: a family-0 dump without table/chain returns every family", () => {
    const { rules } = decodeDump(datagramsOf(loadFixture("unspec-all")));
    assert.deepEqual(
      rules.map((r) => familyName(r.family)),
      ["ip", "ip6", "inet"],
    );
  });
});

describe("requests are byte-for-byte what was sent to the kernel", () => {
  for (const name of names) {
    const f = loadFixture(name);
    const { type, seq, family, table, chain } = f.request;
    if (table === null || chain === null) continue; // unspec-all: a request nfprom never sends
    const build = BUILDERS.get(type);
    test(`${name}: ${build?.name}(${seq}, ${family}, ${table}, ${chain})`, () => {
      assert.ok(build, `unexpected request type ${type}`);
      const got = build(seq, family, table, chain);
      const want = Buffer.from(f.request.hex, "hex");
      assert.equal(hexdump(got), hexdump(want));
      assert.equal(got.readUInt16LE(6), f.request.flags);
    });
  }

  test("attribute lengths count UTF-8 bytes and the NUL; the total is padded", () => {
    const req = getRulesRequest(9, 0, "t€", "c"); // "t€\0" = 5 bytes → nla_len 9, padded to 12
    assert.equal(req.length, 16 + 4 + 12 + 8);
    assert.equal(req.readUInt32LE(0), req.length);
    assert.equal(req.readUInt16LE(20), 9);
    assert.equal(req.toString("utf8", 24, 28), "t€");
    assert.deepEqual([...req.subarray(28, 32)], [0, 0, 0, 0]);
    assert.equal(req.readUInt16LE(32), 6);
    assert.equal(req.readUInt16LE(34), 2);
  });
});
