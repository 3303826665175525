import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

/** The compiled sources (dist/src), whose relative imports are walked below. */
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** importsOf lists every module `entry` reaches through relative imports, as paths relative to dist/src. */
function importsOf(entry: string): string[] {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(/(?:import|export)[^'"]*from\s+"(\.[^"]+)"/g)) {
      walk(resolve(dirname(file), m[1] as string));
    }
  };
  walk(resolve(SRC, entry));
  return [...seen].map((f) => relative(SRC, f));
}

test("the unprivileged web process never loads the netlink side or the reader", () => {
  const reached = importsOf("web/main.js");
  const forbidden = reached.filter((f) =>
    /^(netlink\/(socket|netns)|nftables\/(chain-)?dump|reader\/)/.test(f),
  );
  assert.deepEqual(forbidden, []);
  assert.ok(reached.includes("ipc/protocol.js"), "the walk follows imports");
});

test("only the reader opens the netlink socket", () => {
  assert.ok(importsOf("reader/main.js").includes("netlink/socket.js"));
});
