import assert from "node:assert/strict";
import { test } from "node:test";
import { type ParseResult, parseArgs } from "../../../src/cli/flags.js";
import { sourcesFor } from "../../../src/sources/readers.js";
import { SLICES } from "../../../src/sources/slices.js";

function configOf(args: string[]) {
  const parsed = parseArgs(args);
  assert.equal(parsed.kind, "run");
  return (parsed as Extract<ParseResult, { kind: "run" }>).config;
}

test("the two registries name the same sources in the same order: each reader half has its shared half", () => {
  const every = configOf([
    "dump",
    "-counters",
    "*/*/*",
    "-quotas",
    "*/*/*",
    "-sets",
    "*/*/*",
    "-tables",
    "*",
  ]);
  assert.deepEqual(
    sourcesFor(every).map((s) => s.name),
    SLICES.map((s) => s.name),
  );
});

test("a source is on only when its selection flags are given", () => {
  assert.deepEqual(sourcesFor(configOf(["dump"])), []);
  assert.deepEqual(
    sourcesFor(configOf(["dump", "-quotas", "*/*/*"])).map((s) => s.name),
    ["objects"],
  );
  assert.deepEqual(
    sourcesFor(configOf(["dump", "-sets", "inet/firewall/*"])).map((s) => s.name),
    ["sets"],
  );
});
