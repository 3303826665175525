import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import {
  NFT_MSG_GETOBJ,
  NFT_MSG_GETOBJ_RESET,
  NFT_MSG_GETRULE_RESET,
  NFT_MSG_GETSETELEM_RESET,
} from "../../../src/nftables/constants-sources.js";
import {
  dumpRequest,
  getChainsRequest,
  getObjectsRequest,
  getSetElemsRequest,
  getSetsRequest,
} from "../../../src/nftables/requests.js";
import { loadFixture } from "../helpers/fixtures.js";

/** The requests of test/fixtures/sources/, as the capture script sent them to the kernel. */
test("source requests are byte-for-byte what the kernel answered in the fixtures", () => {
  const sent = (name: string) => {
    const f = loadFixture(`sources/${name}`);
    return { seq: f.request.seq, hex: f.request.hex, table: f.request.table as string };
  };
  const objects = sent("objects");
  assert.equal(getObjectsRequest(objects.seq).toString("hex"), objects.hex);
  const chains = sent("chains");
  assert.equal(getChainsRequest(chains.seq).toString("hex"), chains.hex);
  const sets = sent("sets");
  assert.equal(getSetsRequest(sets.seq).toString("hex"), sets.hex);
  for (const name of ["clients", "nets", "v6", "ports", "pairs"]) {
    const f = sent(`setelem-counters-${name}`);
    assert.equal(getSetElemsRequest(f.seq, 1, f.table, name).toString("hex"), f.hex, name);
  }
});

test("dumpRequest refuses the GET types that reset counters, and builds any other dump", () => {
  for (const reset of [NFT_MSG_GETOBJ_RESET, NFT_MSG_GETRULE_RESET, NFT_MSG_GETSETELEM_RESET]) {
    assert.throws(
      () => dumpRequest(reset, 1),
      (err: { code?: string }) => err.code === ErrorCodes.INTERNAL,
    );
  }
  assert.deepEqual(dumpRequest(NFT_MSG_GETOBJ, 7), getObjectsRequest(7));
});
