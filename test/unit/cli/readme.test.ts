import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { COMMANDS, FLAGS } from "../../../src/cli/flags.js";

/** The README is the flag reference users read: every flag and command of the table must be in it. */
const README = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");
/** The README and the topic documents it links (docs/*.md), where a feature's flags may be described. */
const DOCS_DIR = new URL("../../../../docs/", import.meta.url);
const DOCS = [
  README,
  ...readdirSync(DOCS_DIR)
    .filter((f) => f.endsWith(".md"))
    .map((f) => readFileSync(new URL(f, DOCS_DIR), "utf8")),
].join("\n");

test("README or docs/ documents every flag", () => {
  for (const f of FLAGS) {
    const documented = DOCS.includes(`\`-${f.name}\``) || DOCS.includes(`\`--${f.name}\``);
    assert.ok(documented, `flag -${f.name} is not in README.md nor docs/*.md`);
  }
});

test("README documents every command", () => {
  for (const name of Object.keys(COMMANDS)) assert.ok(README.includes(`nfprom ${name}`), `command ${name}`);
});
