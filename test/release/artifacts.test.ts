// The release artifacts as a user meets them (scripts/test-release.sh builds them and runs this file with
// NFPROM_RELEASE_DIR): the x64 tarball unpacked where only root can enter, the arm64 tarball under
// qemu-user, the .deb installed with dpkg, run, checked by lintian and systemd-analyze, then purged.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext, test } from "node:test";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  readCounterMap,
  run,
  startNfprom,
} from "../system/harness.js";
import { RELEASE_DIR, RUNTIMES, VERSION } from "./common.js";

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ARCHES = { x64: /ELF 64-bit LSB .*x86-64/, arm64: /ELF 64-bit LSB .*ARM aarch64/ } as const;
/** The cross-built glibc of Debian's *-arm64-cross packages, for qemu-user (no binfmt_misc here). */
const QEMU = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"];

const scratch = mkdtempSync(join(tmpdir(), "nfprom-release-")); // mode 0700: only root can enter
after(() => rmSync(scratch, { recursive: true, force: true }));

/** unpack extracts the arch's tarball into a fresh directory below `scratch` and returns its root. */
async function unpack(arch: keyof typeof ARCHES): Promise<string> {
  const dir = mkdtempSync(join(scratch, `${arch}-`));
  const name = `nfprom-${VERSION}-linux-${arch}`;
  const r = await run("tar", ["-xzf", join(RELEASE_DIR, `${name}.tar.gz`), "-C", dir]);
  assert.equal(r.code, 0, r.stderr);
  return join(dir, name);
}

function isElf(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, "r");
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(ELF_MAGIC);
  } finally {
    closeSync(fd);
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** A chain with two counted rules, the first with a counter that is not zero. */
const RULES = [
  'tcp dport 22 counter packets 7 bytes 700 comment "nft(service=ssh)"',
  'udp dport 53 counter comment "nft(service=dns)"',
];

/** scrapeChain runs `command` as the exporter in a fresh netns and checks the scrape against nft -j. */
async function scrapeChain(t: TestContext, command: string[], node = `v${RUNTIMES.bundled}`) {
  const ns = await Netns.create("release", { t });
  await ns.nft(accountingRuleset(RULES));
  const h = await startNfprom(ns, ["--table", "firewall", "--chain", "accounting"], { command });
  const res = await h.scrape();
  assert.equal(res.status, 200);
  const e = parseExposition(res.body);
  assert.equal(e.get("nfprom_up"), 1n, res.body);
  const oracle = await readCounterMap(ns, "inet", "firewall", "accounting");
  for (const [comment, rule] of oracle ?? []) {
    const service = /service=(\w+)/.exec(comment)?.[1] as string;
    assert.equal(e.get("nfprom_bytes_total", { service }), rule.bytes, `${service} bytes`);
    assert.equal(e.get("nfprom_packets_total", { service }), rule.packets, `${service} packets`);
  }
  assert.equal(e.get("nfprom_bytes_total", { service: "ssh" }), 700n);
  assert.ok(res.body.includes(`nodejs="${node}"`), `runs on node ${node}`);
  assert.equal(await h.stop(), 0);
  return h;
}

for (const arch of Object.keys(ARCHES) as (keyof typeof ARCHES)[]) {
  test(`${arch} tarball: launcher, runtime as pinned, every binary built for ${arch}, no source maps`, async () => {
    const root = await unpack(arch);
    const node = readFileSync(join(root, "runtime/node"));
    const pinned = RUNTIMES.packages[`node-linux-${arch}@${RUNTIMES.bundled}`]?.node_sha256;
    assert.equal(createHash("sha256").update(node).digest("hex"), pinned);
    for (const f of [
      "bin/nfprom",
      "LICENSE",
      "runtime/LICENSE",
      "man/nfprom.1",
      "init/systemd/nfprom.service",
    ])
      assert.ok(existsSync(join(root, f)), f);
    assert.ok(statSync(join(root, "bin/nfprom")).mode & 0o111, "bin/nfprom is executable");
    const files = walk(root);
    assert.deepEqual(
      files.filter((f) => f.endsWith(".map")),
      [],
    );
    const elf = files.filter(isElf);
    for (const f of elf) assert.match((await run("file", ["-b", f])).stdout, ARCHES[arch], f);
    assert.deepEqual(elf.map((f) => f.slice(root.length + 1)).sort(), [
      `app/node_modules/@koromix/koffi-linux-${arch}/linux_${arch}/koffi.node`,
      "runtime/node",
    ]);
  });
}

test("x64 tarball unpacked where only root can enter: --version, then it scrapes a real chain in a netns", async (t) => {
  const root = await unpack("x64");
  assert.equal(statSync(scratch).mode & 0o777, 0o700);
  const version = await run(join(root, "bin/nfprom"), ["--version"]);
  assert.equal(version.stdout, `nfprom ${VERSION} (node v${RUNTIMES.bundled})\n`);
  const h = await scrapeChain(t, [join(root, "bin/nfprom")]);
  assert.ok(
    h.logs().some((l) => /listening/.test(l) && /uid=65534/.test(l)),
    h.logs().join("\n"),
  );
});

test("npm package: LICENSE, no source maps; npm install -g of it gives a working nfprom and man page", async (t) => {
  const tarball = join(RELEASE_DIR, `nfprom-${VERSION}.tgz`);
  const list = await run("tar", ["-tzf", tarball]);
  const files = list.stdout.split("\n");
  assert.ok(files.includes("package/LICENSE") && files.includes("package/dist/src/cli/main.js"), list.stdout);
  assert.deepEqual(
    files.filter((f) => f.endsWith(".map")),
    [],
  );
  const prefix = mkdtempSync(join(scratch, "npm-"));
  const install = await run(
    "npm",
    ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball],
    { timeoutMs: 300_000 },
  );
  assert.equal(install.code, 0, install.stderr);
  assert.ok(existsSync(join(prefix, "share/man/man1/nfprom.1")));
  const nfprom = join(prefix, "bin/nfprom");
  const version = await run(nfprom, ["--version"]);
  assert.equal(version.stdout, `nfprom ${VERSION} (node ${process.version})\n`, version.stderr);
  await scrapeChain(t, [nfprom], process.version);
});

test("arm64 tarball under qemu-user: --version, and check reads nft -j output", async () => {
  const root = await unpack("arm64");
  const main = [join(root, "runtime/node"), join(root, "app/dist/src/cli/main.js")];
  const version = await run(QEMU[0] as string, [...QEMU.slice(1), ...main, "--version"], {
    timeoutMs: 120_000,
  });
  assert.equal(version.stdout, `nfprom ${VERSION} (node v${RUNTIMES.bundled})\n`, version.stderr);
  const ruleset = {
    nftables: [
      { table: { family: "inet", name: "firewall", handle: 1 } },
      { chain: { family: "inet", table: "firewall", name: "accounting", handle: 1 } },
      {
        rule: {
          family: "inet",
          table: "firewall",
          chain: "accounting",
          handle: 2,
          comment: "nft(service=ssh)",
          expr: [{ counter: { packets: 1, bytes: 60 } }],
        },
      },
    ],
  };
  const check = await run(QEMU[0] as string, [...QEMU.slice(1), ...main, "check", "--input", "-"], {
    input: JSON.stringify(ruleset),
    timeoutMs: 120_000,
  });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /1 rule: 1 exported as 1 series/);
});
