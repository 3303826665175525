import assert from "node:assert/strict";
import { test } from "node:test";
import { matches, matchesAny, parsePattern } from "../../../src/model/pattern.js";
import { FAMILIES } from "../../../src/nftables/constants.js";

test("parsePattern: [family/]table/name with * and ? globs", () => {
  const p = parsePattern("firewall/accounting*");
  assert.equal(p.family, undefined);
  assert.equal(p.literal, false);
  assert.ok(matches(p, FAMILIES.inet, "firewall", "accounting"));
  assert.ok(matches(p, FAMILIES.ip6, "firewall", "accounting_v6"));
  assert.ok(!matches(p, FAMILIES.inet, "firewall2", "accounting"));
  assert.ok(!matches(p, FAMILIES.inet, "firewall", "xaccounting"));

  const exact = parsePattern("ip6/filter/acct.v?");
  assert.equal(exact.family, FAMILIES.ip6);
  assert.ok(matches(exact, FAMILIES.ip6, "filter", "acct.v6"));
  assert.ok(!matches(exact, FAMILIES.ip6, "filter", "acctxv6"), ". is literal, not a regex wildcard");
  assert.ok(!matches(exact, FAMILIES.ip, "filter", "acct.v6"));
  assert.equal(parsePattern("inet/firewall/ssh_in").literal, true);
  assert.ok(matches(parsePattern("*/*/*"), FAMILIES.bridge, "t", "c"));
  assert.ok(matchesAny([exact, p], FAMILIES.inet, "firewall", "accounting"));
  assert.ok(!matchesAny([], FAMILIES.inet, "firewall", "accounting"));
});

test("parsePattern rejects what cannot name anything", () => {
  for (const bad of ["accounting", "a/b/c/d", "/x", "x/", "all/t/c", "ipx/t/c"]) {
    assert.throws(() => parsePattern(bad), Error, bad);
  }
});
