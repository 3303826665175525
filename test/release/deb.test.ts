// The Debian package as an administrator meets it: dpkg -i, nfprom --version, the unit checked by
// systemd-analyze (no systemd runs here, so the service itself is not started), the exporter run from
// /usr/bin/nfprom against a chain in a netns, then dpkg --purge leaving none of its files behind.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { accountingRuleset, Netns, parseExposition, run, sleep, startNfprom } from "../system/harness.js";
import { RELEASE_DIR, RUNTIMES, VERSION } from "./common.js";

const DEB = join(RELEASE_DIR, `nfprom_${VERSION}_amd64.deb`);
const UNIT = "/lib/systemd/system/nfprom.service";
/** Highest `systemd-analyze security` exposure the unit may have (issue 17). */
const MAX_EXPOSURE = 3.0;

/** dpkg runs dpkg, waiting (up to a minute) while another dpkg holds its lock. */
async function dpkg(args: string[]) {
  for (let waited = 0; ; waited += 2000) {
    const r = await run("dpkg", args, { timeoutMs: 120_000 });
    if (r.code === 0 || !/lock/i.test(r.stderr) || waited > 60_000) return r;
    await sleep(2000);
  }
}

test(".deb: dpkg -i, --version, the unit, a scrape from /usr/bin/nfprom, dpkg --purge leaves nothing", async (t) => {
  if ((await run("dpkg", ["-s", "nfprom"])).code === 0)
    assert.equal((await dpkg(["--purge", "nfprom"])).code, 0);
  const userExisted = (await run("getent", ["passwd", "nfprom"])).code === 0;
  t.after(async () => {
    if (!userExisted) await run("userdel", ["nfprom"]);
  });

  const install = await dpkg(["-i", DEB]);
  assert.equal(install.code, 0, install.stdout + install.stderr);
  const files = (await run("dpkg", ["-L", "nfprom"])).stdout.split("\n").filter((f) => f !== "");

  const v = await run("/usr/bin/nfprom", ["--version"]);
  assert.equal(v.stdout, `nfprom ${VERSION} (node v${RUNTIMES.bundled})\n`, v.stderr);
  const user = await run("getent", ["passwd", "nfprom"]);
  assert.match(user.stdout, /^nfprom:x:\d+:\d+:[^:]*:\/:\/usr\/sbin\/nologin\n$/);
  const uid = user.stdout.split(":")[2] as string;
  assert.match(
    readFileSync("/etc/default/nfprom", "utf8"),
    /^NFPROM_ARGS=".*--web.user nfprom --web.group nfprom/m,
  );
  assert.match(
    (await run("dpkg-query", ["-W", `-f=${"$"}{Conffiles}`, "nfprom"])).stdout,
    /\/etc\/default\/nfprom /,
  );
  assert.equal((await run("man", ["-w", "nfprom"])).stdout, "/usr/share/man/man1/nfprom.1.gz\n");

  const verify = await run("systemd-analyze", ["verify", UNIT]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const security = await run("systemd-analyze", ["security", "--offline=true", UNIT]);
  const exposure = Number(/Overall exposure level for nfprom\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
  assert.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}\n${security.stdout}`);

  const ns = await Netns.create("deb", { t });
  await ns.nft(accountingRuleset(['tcp dport 22 counter packets 3 bytes 300 comment "nft(service=ssh)"']));
  const h = await startNfprom(ns, ["--web.user", "nfprom", "--web.group", "nfprom"], {
    command: ["/usr/bin/nfprom"],
  });
  const e = parseExposition((await h.scrape()).body);
  assert.equal(e.get("nfprom_up"), 1n);
  assert.equal(e.get("nfprom_bytes_total", { service: "ssh" }), 300n);
  assert.ok(
    h.logs().some((l) => /listening/.test(l) && l.includes(`uid=${uid}`)),
    h.logs().join("\n"),
  );
  assert.equal(await h.stop(), 0);

  const purge = await dpkg(["--purge", "nfprom"]);
  assert.equal(purge.code, 0, purge.stdout + purge.stderr);
  const left = files.filter((f) => existsSync(f) && !isSharedDirectory(f));
  assert.deepEqual(left, [], "files of the package left after --purge");
  for (const dir of [
    "/etc/systemd/system/multi-user.target.wants",
    "/var/lib/systemd/deb-systemd-helper-enabled",
  ]) {
    const names = existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
    assert.deepEqual(
      names.filter((n) => n.includes("nfprom")),
      [],
      dir,
    );
  }
  assert.notEqual((await run("dpkg", ["-s", "nfprom"])).code, 0);
});

/** Directories other packages own too (/usr/bin, /lib/systemd/system, ...), which a purge keeps. */
function isSharedDirectory(path: string): boolean {
  return !path.includes("nfprom") && statSync(path).isDirectory();
}
