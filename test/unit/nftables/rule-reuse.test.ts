import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { type RuleColumns, RuleColumnsBuilder, rulesFromColumns } from "../../../src/model/rule-columns.js";
import { AttributeDecoder } from "../../../src/netlink/attributes.js";
import { type NetlinkMessage, parseMessages } from "../../../src/netlink/message.js";
import {
  NFTA_COUNTER_BYTES,
  NFTA_COUNTER_PACKETS,
  NFTA_EXPR_DATA,
  NFTA_EXPR_NAME,
  NFTA_LIST_ELEM,
  NFTA_RULE_EXPRESSIONS,
  NFTA_RULE_HANDLE,
} from "../../../src/nftables/constants.js";
import { addRuleCounters } from "../../../src/nftables/rule.js";
import { RepeatReader } from "../../../src/nftables/rule-reuse.js";
import { datagramsOf, fixtureNames, loadFixture, repoRoot } from "../helpers/fixtures.js";

const NEWRULE = 0x0a06;

function ruleMessages(datagrams: Buffer[]): NetlinkMessage[] {
  return datagrams.flatMap((d) => [...parseMessages(d)]).filter((m) => m.type === NEWRULE);
}

/** Every kernel capture with rules: the core fixtures and the objref one (named counters, two counters). */
function captures(): [string, NetlinkMessage[]][] {
  const out: [string, NetlinkMessage[]][] = [];
  for (const name of fixtureNames()) out.push([name, ruleMessages(datagramsOf(loadFixture(name)))]);
  const file = path.join(repoRoot(), "test/fixtures/sources/rules-objref.json");
  const { datagrams } = JSON.parse(readFileSync(file, "utf8")) as { datagrams: string[] };
  out.push(["rules-objref", ruleMessages(datagrams.map((h) => Buffer.from(h, "hex")))]);
  return out.filter(([, msgs]) => msgs.length > 0);
}

/** read runs one read of `msgs` through `reader` and returns its columns. */
function read(reader: RepeatReader, msgs: readonly NetlinkMessage[]): RuleColumns {
  const into = new RuleColumnsBuilder();
  reader.begin(into);
  for (const m of msgs) reader.add(m);
  const columns = into.finish();
  reader.finish(columns);
  return columns;
}

/** fresh is the oracle: every message decoded in full, nothing remembered. */
function fresh(msgs: readonly NetlinkMessage[]): RuleColumns {
  const into = new RuleColumnsBuilder();
  for (const m of msgs) addRuleCounters(m, into);
  return into.finish();
}

/** edited copies a message and lets `edit` change its payload (the original stays as captured). */
function edited(msg: NetlinkMessage, edit: (payload: Buffer) => void): NetlinkMessage {
  const payload = Buffer.from(msg.payload);
  edit(payload);
  return { ...msg, payload };
}

/** withCounters sets the first counter of a rule message to `bytes`, `packets` (a copy). */
function withCounters(msg: NetlinkMessage, bytes: bigint, packets: bigint): NetlinkMessage {
  return edited(msg, (payload) => {
    const ad = new AttributeDecoder(payload, "big", 4);
    let done = false;
    const walk = () => {
      while (ad.next()) {
        if (done) return;
        const type: number = ad.type;
        if (type === NFTA_RULE_EXPRESSIONS || type === NFTA_LIST_ELEM) {
          ad.descend();
          walk();
          ad.ascend();
        } else if (type === NFTA_EXPR_NAME) {
          if (!ad.payloadEquals(Buffer.from("counter\0"))) return;
        } else if (type === NFTA_EXPR_DATA) {
          ad.descend();
          while (ad.next()) {
            const field: number = ad.type;
            if (field === NFTA_COUNTER_BYTES) payload.writeBigUInt64BE(bytes, ad.offset);
            if (field === NFTA_COUNTER_PACKETS) payload.writeBigUInt64BE(packets, ad.offset);
          }
          ad.ascend();
          done = true;
        }
      }
    };
    walk();
  });
}

function handleOffset(msg: NetlinkMessage): number {
  const ad = new AttributeDecoder(msg.payload, "big", 4);
  while (ad.next()) if (ad.type === NFTA_RULE_HANDLE) return ad.offset;
  throw new Error("no handle");
}

/**
 * marked tags the comments of a read the reader has finished (it keeps those very columns), so that the
 * next read shows which rules it took over (tagged) and which it decoded again (as the kernel sent them).
 */
function marked(columns: RuleColumns): RuleColumns {
  columns.comments.forEach((c, i) => {
    if (c !== undefined && !c.startsWith(TAG)) columns.comments[i] = `${TAG}${c}`;
  });
  return columns;
}
const TAG = "taken over: ";

const takenOver = (c: RuleColumns) => c.comments.filter((x) => x?.startsWith(TAG)).length;
const commented = (c: RuleColumns) => c.comments.filter((x) => x !== undefined).length;

/** untagged drops the tags, for comparing a read with the oracle. */
function untagged(c: RuleColumns): RuleColumns {
  return { ...c, comments: c.comments.map((x) => x?.replace(TAG, "")) };
}

describe("RepeatReader: a read takes from the last one only what its messages show is unchanged", () => {
  for (const [name, msgs] of captures()) {
    test(`kernel fixture ${name}: ${msgs.length} rules, read again with new counters`, () => {
      const reader = new RepeatReader();
      const first = read(reader, msgs);
      assert.deepEqual(rulesFromColumns(first), rulesFromColumns(fresh(msgs)));
      marked(first);

      const counted = msgs.map((m, i) => withCounters(m, 1000n * BigInt(i) + 7n, BigInt(i) + 1n));
      const second = read(reader, counted);
      assert.deepEqual(rulesFromColumns(untagged(second)), rulesFromColumns(fresh(counted)));
      assert.equal(takenOver(second), commented(second), "every rule taken over, none decoded again");
    });
  }

  const [, msgs] = captures().find(([, m]) => m.length >= 3) as [string, NetlinkMessage[]];

  test("another generation: every message decoded anew", () => {
    const reader = new RepeatReader();
    marked(read(reader, msgs));
    const next = msgs.map((m) => edited(m, (p) => p.writeUInt16BE((p.readUInt16BE(2) + 1) & 0xffff, 2)));
    const second = read(reader, next);
    assert.deepEqual(rulesFromColumns(second), rulesFromColumns(fresh(next)));
    assert.equal(takenOver(second), 0);
  });

  test("a rule gone, or a handle changed, at the same generation: decoded anew from there on", () => {
    const reader = new RepeatReader();
    marked(read(reader, msgs));
    const fewer = [msgs[0], ...msgs.slice(2)] as NetlinkMessage[];
    const second = read(reader, fewer);
    assert.deepEqual(rulesFromColumns(untagged(second)), rulesFromColumns(fresh(fewer)));
    assert.ok(takenOver(second) <= 1, "at most the first rule taken over");
    marked(second);

    const renumbered = fewer.map((m, i) =>
      i === 1
        ? edited(m, (p) => p.writeBigUInt64BE(p.readBigUInt64BE(handleOffset(m)) + 100n, handleOffset(m)))
        : m,
    );
    const third = read(reader, renumbered);
    assert.deepEqual(rulesFromColumns(untagged(third)), rulesFromColumns(fresh(renumbered)));
    assert.ok(
      third.comments.slice(1).every((c) => !c?.startsWith(TAG)),
      "decoded anew from rule 2 on",
    );
  });

  test("an interrupted read (begin again without finish) still compares with the last complete one", () => {
    const reader = new RepeatReader();
    marked(read(reader, msgs));
    reader.begin(new RuleColumnsBuilder());
    reader.add(msgs[0] as NetlinkMessage); // the dump is abandoned here
    const second = read(reader, msgs);
    assert.deepEqual(rulesFromColumns(untagged(second)), rulesFromColumns(fresh(msgs)));
    assert.equal(takenOver(second), commented(second));
  });
});
