import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type AtomicIo, NODE_IO, writeFileAtomically } from "../../src/atomic-write.js";

const dir = mkdtempSync(join(tmpdir(), "nfprom-atomic-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A real file system whose writeSync takes at most `takes` bytes per call and then fails with `error`. */
function fullDisk(takes: number[], error?: NodeJS.ErrnoException): AtomicIo & { calls: string[] } {
  const calls: string[] = [];
  const script = [...takes];
  return {
    ...NODE_IO,
    calls,
    writeSync(fd, buffer, offset, length) {
      const n = script.shift();
      if (n === undefined) {
        if (error) throw error;
        return NODE_IO.writeSync(fd, buffer, offset, length);
      }
      return NODE_IO.writeSync(fd, buffer, offset, Math.min(n, length));
    },
    renameSync(from, to) {
      calls.push("rename");
      NODE_IO.renameSync(from, to);
    },
  };
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
}

const leftovers = (name: string) => readdirSync(dir).filter((f) => f.startsWith(`${name}.tmp-`));

describe("writeFileAtomically", () => {
  test("short writes are continued until every byte is written", () => {
    const path = join(dir, "short.prom");
    const content = "x".repeat(10_000);
    writeFileAtomically(path, content, { mode: 0o644 }, fullDisk([1, 4095, 17]));
    assert.equal(readFileSync(path, "utf8"), content);
    assert.equal(statSync(path).mode & 0o777, 0o644);
    assert.deepEqual(leftovers("short.prom"), []);
  });

  test("a full file system after a short write: the old file stays, no temp file, the error is thrown", () => {
    const path = join(dir, "full.prom");
    writeFileSync(path, "old\n");
    const io = fullDisk([4096], enospc());
    assert.throws(() => writeFileAtomically(path, "y".repeat(100_000), { mode: 0o644 }, io), /ENOSPC/);
    assert.equal(readFileSync(path, "utf8"), "old\n");
    assert.deepEqual(io.calls, []);
    assert.deepEqual(leftovers("full.prom"), []);
  });

  test("a write that makes no progress is an error, not a loop", () => {
    const path = join(dir, "zero.prom");
    assert.throws(() => writeFileAtomically(path, "z", { mode: 0o644 }, fullDisk([0])), /no progress/);
    assert.deepEqual(leftovers("zero.prom"), []);
  });

  test("fsync and close failures remove the temp file", () => {
    for (const op of ["fsyncSync", "closeSync"] as const) {
      const path = join(dir, `${op}.json`);
      const io: AtomicIo = {
        ...NODE_IO,
        [op]: (fd: number) => {
          if (op === "closeSync") NODE_IO.closeSync(fd);
          throw Object.assign(new Error(`EIO: ${op}`), { code: "EIO" });
        },
      };
      assert.throws(() => writeFileAtomically(path, "{}", { mode: 0o640 }, io), /EIO/);
      assert.deepEqual(leftovers(`${op}.json`), [], op);
    }
  });

  test("a directory planted at the path: the rename fails and the temp file is removed", () => {
    const path = join(dir, "planted.json");
    mkdirSync(path);
    for (let i = 0; i < 3; i++)
      assert.throws(() => writeFileAtomically(path, "[]\n", { mode: 0o640 }), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(leftovers("planted.json"), []);
    assert.ok(statSync(path).isDirectory());
  });
});
