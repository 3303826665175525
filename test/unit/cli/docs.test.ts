import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { GENERATED, generatedPath } from "../../../scripts/docs.js";
import { COMMANDS, FLAGS } from "../../../src/cli/flags.js";

for (const [file, render] of Object.entries(GENERATED)) {
  test(`${file} is what \`npm run docs\` writes`, () => {
    const text = readFileSync(generatedPath(file), "utf8");
    assert.equal(text, render(text), `${file} is stale: run npm run docs`);
  });
}

test("docs/flags.md and the man page name every flag, alias and command", () => {
  const markdown = readFileSync(generatedPath("docs/flags.md"), "utf8");
  const man = readFileSync(generatedPath("docs/nfprom.1"), "utf8");
  for (const f of FLAGS) {
    assert.ok(markdown.includes(`\`--${f.name}`), `flag --${f.name} is not in docs/flags.md`);
    assert.ok(
      man.includes(`.B \\-\\-${f.name.replaceAll("-", "\\-")}`),
      `flag --${f.name} is not in the man page`,
    );
    for (const alias of f.aliases ?? []) assert.ok(markdown.includes(`\`-${alias}\``), `alias -${alias}`);
  }
  for (const name of Object.keys(COMMANDS)) {
    assert.ok(markdown.includes(`nfprom ${name}`), `command ${name}`);
    assert.ok(man.includes(`.B ${name}\n`), `command ${name} in the man page`);
  }
});
