import assert from "node:assert/strict";
import { test } from "node:test";
import { type ParseResult, parseArgs } from "../../../src/cli/flags.js";
import { sourcesFor } from "../../../src/sources/readers.js";
import { isSelected } from "../../../src/sources/slice.js";
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
    SLICES.filter((s) => !s.required).map((s) => s.name),
  );
});

test("the rules are the one required slice, first, and on under every configuration", () => {
  assert.deepEqual(
    SLICES.filter((s) => s.required).map((s) => s.name),
    ["rules"],
  );
  assert.equal(SLICES[0]?.name, "rules");
  assert.ok(SLICES[0] && isSelected(SLICES[0], configOf(["dump"])));
});

/** selectedSlices: the optional slices the configuration turns on, as isSelected says. */
const selectedSlices = (args: string[]) =>
  SLICES.filter((s) => !s.required && isSelected(s, configOf(args))).map((s) => s.name);

test("a source is on only when its selection flags are given", () => {
  assert.deepEqual(sourcesFor(configOf(["dump"])), []);
  assert.deepEqual(selectedSlices(["dump"]), []);
  assert.deepEqual(selectedSlices(["dump", "-quotas", "*/*/*"]), ["objects"]);
  assert.deepEqual(selectedSlices(["dump", "-counters", "*/*/*"]), ["objects"]);
  assert.deepEqual(selectedSlices(["dump", "-sets", "inet/firewall/*"]), ["sets"]);
  assert.deepEqual(selectedSlices(["dump", "-tables", "*"]), ["tables"]);
  assert.deepEqual(
    sourcesFor(configOf(["dump", "-quotas", "*/*/*"])).map((s) => s.name),
    ["objects"],
  );
  assert.deepEqual(
    sourcesFor(configOf(["dump", "-sets", "inet/firewall/*"])).map((s) => s.name),
    ["sets"],
  );
});
