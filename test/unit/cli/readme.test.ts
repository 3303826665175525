import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { COMMANDS, FLAGS } from "../../../src/cli/flags.js";

/** The README is the flag reference users read: every flag and command of the table must be in it. */
const README = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");

test("README documents every flag", () => {
  for (const f of FLAGS) {
    const documented = README.includes(`\`-${f.name}\``) || README.includes(`\`--${f.name}\``);
    assert.ok(documented, `flag -${f.name} is not in README.md`);
  }
});

test("README documents every command", () => {
  for (const name of Object.keys(COMMANDS)) assert.ok(README.includes(`nfprom ${name}`), `command ${name}`);
});
