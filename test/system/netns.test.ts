// Several network namespaces read by one exporter (-netns) on the real kernel: three namespaces with their
// own rulesets and traffic, values compared with `nft -j` run inside each; one deleted and one added while
// nfprom runs; a path that is no namespace fails alone; the ruleset generation and its timestamp move on
// each reload. Other test files make namespaces under /run/netns at the same time: every selection here
// names only this process's own (a prefix glob), and `all` is checked for what it must include only.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type NetnsRef, namespaceIdentity } from "../../src/netlink/netns.js";
import { netfilterSocket, RawNetlinkSocket } from "../../src/netlink/socket.js";
import {
  accountingRuleset,
  childrenOf,
  type Exposition,
  Netns,
  type NfpromHandle,
  parseExposition,
  parseNftJson,
  procStatus,
  promtoolCheck,
  readCounterMap,
  readNamedCounters,
  requireRoot,
  run,
  sendTraffic,
  startNfprom,
  u64,
  waitUntil,
} from "./harness.js";

const CAP_SYS_PTRACE = 19;
const CAP_SYS_ADMIN = 21;

/** A namespace of the test with its accounting rules: `svc` label → nft rule with a counter. */
interface Tenant {
  ns: Netns;
  ports: Record<string, number>;
  ruleset: string;
}

async function tenant(prefix: string, services: string[], withCounter = false): Promise<Tenant> {
  const ns = await Netns.create(prefix);
  const ports = Object.fromEntries(services.map((svc) => [svc, ns.freePort()]));
  const rules = services.map(
    (svc) =>
      `tcp dport ${ports[svc]} counter ${withCounter ? 'name "tenant_in" ' : ""}comment "nft(svc=${svc})"`,
  );
  // A named counter makes -counters per namespace visible (and rules that name it are exported as it).
  const declarations = withCounter ? ['counter tenant_in { comment "nft(dir=in)" }'] : [];
  const ruleset = accountingRuleset(withCounter ? [...rules, ...rules.map(plain)] : rules, { declarations });
  await ns.nft(ruleset);
  return { ns, ports, ruleset };
}

/** plain: the same rule with an anonymous counter and its own comment (`svc=x` → `svc=x_all`). */
function plain(rule: string): string {
  return rule.replace(' name "tenant_in"', "").replace(/svc=(\w+)/, "svc=$1_all");
}

async function traffic(t: Tenant, bytes: number): Promise<void> {
  for (const port of Object.values(t.ports))
    await sendTraffic(t.ns, { proto: "tcp", host: "127.0.0.1", port, bytes });
}

/** assertMatchesKernel: every commented rule of the namespace's chain, as `nft -j` says, in the scrape. */
async function assertMatchesKernel(exp: Exposition, t: Tenant): Promise<void> {
  const oracle = await readCounterMap(t.ns, "inet", "firewall", "accounting");
  assert.ok(oracle, `no chain in ${t.ns.name}`);
  for (const [comment, rule] of oracle) {
    const svc = /svc=(\w+)/.exec(comment)?.[1] as string;
    if (rule.bytes === undefined) continue; // counts in the named counter
    const labels = { netns: t.ns.name, svc };
    assert.equal(exp.get("nfprom_bytes_total", labels), rule.bytes, `${t.ns.name} ${svc} bytes`);
    assert.equal(exp.get("nfprom_packets_total", labels), rule.packets, `${t.ns.name} ${svc} packets`);
    assert.ok((rule.bytes ?? 0n) > 0n, `${t.ns.name} ${svc}: the traffic was counted`);
  }
}

async function scrapeChecked(nf: NfpromHandle): Promise<Exposition> {
  const res = await nf.scrape();
  assert.equal(res.status, 200);
  const lint = await promtoolCheck(res.body);
  assert.equal(lint.code, 0, lint.output);
  return parseExposition(res.body);
}

/** netnsFds: the descriptors of `pid` that refer to a namespace (nsfs links read `net:[inode]`). */
function netnsFds(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir)
    .map((fd) => {
      try {
        return readlinkSync(join(dir, fd));
      } catch {
        return ""; // closed meanwhile
      }
    })
    .filter((link) => /^(net|mnt|user|pid|uts|ipc|cgroup|time):\[/.test(link));
}

test("-netns: three namespaces, traffic, nft -j in each, one gone and one added, a bad path fails alone", async (t) => {
  if (!requireRoot(t)) return;
  const home = await Netns.create("i21home", { t });
  const a = await tenant("i21sel", ["web", "mail"]);
  const b = await tenant("i21sel", ["dns"], true);
  const c = await tenant("i21sel", ["db", "cache", "queue"]);
  const notNetns = join(home.tempDir(), "not-a-netns");
  writeFileSync(notNetns, "");
  const glob = `nfprom-i21sel-${process.pid}-*`;
  const nf = await startNfprom(home, ["-netns", glob, "-netns", notNetns, "-counters", "firewall/*"]);
  await traffic(a, 20_000);
  await traffic(b, 30_000);
  await traffic(c, 10_000);

  let exp = await scrapeChecked(nf);
  for (const tenantNs of [a, b, c]) {
    await assertMatchesKernel(exp, tenantNs);
    assert.equal(exp.get("nfprom_up", { netns: tenantNs.ns.name }), 1n);
    assert.equal(exp.get("nfprom_source_success", { netns: tenantNs.ns.name, source: "objects" }), 1n);
  }
  const [counter] = (await readNamedCounters(b.ns, "inet", "firewall")) ?? [];
  assert.ok(counter && counter.bytes > 0n);
  assert.equal(
    exp.get("nfprom_object_bytes_total", {
      netns: b.ns.name,
      family: "inet",
      table: "firewall",
      name: "tenant_in",
      dir: "in",
    }),
    counter.bytes,
  );
  // The path that is no namespace fails alone, and says so; nfprom's own families carry no netns.
  assert.equal(exp.get("nfprom_up", { netns: notNetns }), 0n);
  assert.equal(exp.get("nfprom_netns_selected"), 4n);
  assert.ok((exp.get("nfprom_read_errors_total", { reason: "socket" }) as number) >= 1);
  assert.equal(exp.byName("nfprom_build_info")[0]?.labels.netns, undefined);
  assert.equal(exp.get("nfprom_up"), undefined, "no unlabelled nfprom_up with -netns");

  // The web process holds no namespace handle and stays where it started; the reader holds none between
  // reads and kept CAP_SYS_ADMIN (setns), not CAP_SYS_PTRACE (no /proc path selected).
  const [web] = childrenOf(nf.pid);
  assert.ok(web, "web process");
  assert.deepEqual(netnsFds(web), []);
  assert.deepEqual(netnsFds(nf.pid), []);
  assert.equal(readlinkSync(`/proc/${web}/ns/net`), readlinkSync(`/proc/${nf.pid}/ns/net`));
  const caps = procStatus(nf.pid).CapEff;
  assert.equal((caps >> BigInt(CAP_SYS_ADMIN)) & 1n, 1n);
  assert.equal((caps >> BigInt(CAP_SYS_PTRACE)) & 1n, 0n);

  // A reload moves that namespace's generation and its timestamp, and no other namespace's.
  const before = (name: string) => ({
    generation: exp.get("nfprom_ruleset_generation", { netns: name }) as number,
    since: exp.get("nfprom_ruleset_last_change_timestamp_seconds", { netns: name }) as number,
  });
  for (let reload = 0; reload < 2; reload++) {
    const [oldA, oldC] = [before(a.ns.name), before(c.ns.name)];
    const reloadedAt = Date.now() / 1000;
    await a.ns.nft(`flush ruleset\n${a.ruleset}`);
    exp = await scrapeChecked(nf);
    const [newA, newC] = [before(a.ns.name), before(c.ns.name)];
    assert.ok(newA.generation > oldA.generation, `generation ${oldA.generation} → ${newA.generation}`);
    assert.ok(newA.since >= reloadedAt - 0.001 && newA.since > oldA.since, "timestamp moves with it");
    assert.deepEqual(newC, oldC);
  }

  // b goes away, d appears: both at the next scrape, without a restart.
  await b.ns.destroy();
  const d = await tenant("i21sel", ["ntp"]);
  await traffic(d, 5_000);
  exp = await scrapeChecked(nf);
  assert.equal(exp.get("nfprom_up", { netns: b.ns.name }), undefined);
  assert.equal(exp.byName("nfprom_bytes_total").filter((s) => s.labels.netns === b.ns.name).length, 0);
  for (const tenantNs of [a, c, d]) assert.equal(exp.get("nfprom_up", { netns: tenantNs.ns.name }), 1n);
  await assertMatchesKernel(exp, d);
  await assertMatchesKernel(exp, c);
  assert.equal(exp.get("nfprom_netns_selected"), 4n);
  await nf.waitForLog(/network namespace dropped.*netns=nfprom-i21sel/);
  assert.equal(await nf.stop(), 0);
});

test("-netns all and a /proc/PID/ns/net path: a namespace of no name, as a container's", async (t) => {
  if (!requireRoot(t)) return;
  const home = await Netns.create("i21all", { t });
  const named = await tenant("i21named", ["web"]);
  // A namespace no /run/netns entry names, as Docker makes them: a process in a fresh one.
  const holder: ChildProcess = spawn("unshare", ["-n", "sleep", "60"], { stdio: "ignore" });
  t.after(() => holder.kill("SIGKILL"));
  const pid = holder.pid as number;
  await waitUntil(() => readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync("/proc/self/ns/net"), {
    timeoutMs: 5_000,
  });
  const ruleset = accountingRuleset(['tcp dport 8080 counter comment "nft(svc=app)"']);
  const load = await run("nsenter", ["-t", String(pid), "-n", "nft", "-f", "-"], { input: ruleset });
  assert.equal(load.code, 0, load.stderr);
  const path = `/proc/${pid}/ns/net`;
  await traffic(named, 8_000);

  const nf = await startNfprom(home, ["-netns", "all", "-netns", path]);
  const exp = await scrapeChecked(nf);
  // Foreign namespaces of other tests may be there too: only what must be is checked.
  await assertMatchesKernel(exp, named);
  assert.equal(exp.get("nfprom_up", { netns: home.name }), 0n, "home: no table there");
  assert.equal(exp.get("nfprom_up", { netns: path }), 1n);
  assert.equal(exp.get("nfprom_bytes_total", { netns: path, svc: "app" }), 0n);
  assert.ok((exp.get("nfprom_netns_selected") as number) >= 3);
  // A /proc path: the reader also kept CAP_SYS_PTRACE.
  assert.equal((procStatus(nf.pid).CapEff >> BigInt(CAP_SYS_PTRACE)) & 1n, 1n);
  assert.equal(await nf.stop(), 0);
});

/** `nft -j list <what>` inside `ns`, the first item of `kind`. */
async function nftItem(ns: Netns, args: string[], kind: string): Promise<Record<string, unknown>> {
  const doc = parseNftJson(await ns.nftCmd(["-j", "list", ...args])) as {
    nftables: Record<string, unknown>[];
  };
  const item = doc.nftables.find((i) => i[kind])?.[kind];
  assert.ok(item, `${kind} in ${ns.name}`);
  return item as Record<string, unknown>;
}

test("-netns with -chains, -quotas and -sets: every source per namespace, values as nft -j says", async (t) => {
  if (!requireRoot(t)) return;
  const home = await Netns.create("i21src", { t });
  const tenants = await Promise.all(
    [20_000, 40_000].map(async (bytes) => {
      const ns = await Netns.create("i21srcsel", { t });
      const port = ns.freePort();
      const declarations = [
        "quota web_quota { until 10000000 bytes }",
        "set peers { type ipv4_addr; counter; elements = { 127.0.0.1 } }",
      ];
      const rules = [
        `tcp dport ${port} counter comment "nft(svc=web)"`,
        `tcp dport ${port} quota name "web_quota"`,
        `tcp dport ${port} ip daddr @peers`,
      ];
      await ns.nft(accountingRuleset(rules, { declarations }));
      await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port, bytes });
      return ns;
    }),
  );
  const nf = await startNfprom(home, [
    "-netns",
    `nfprom-i21srcsel-${process.pid}-*`,
    "-chains",
    "inet/firewall/acc*",
    "-quotas",
    "firewall/*",
    "-sets",
    "firewall/*",
  ]);
  const exp = await scrapeChecked(nf);
  for (const ns of tenants) {
    const netns = ns.name;
    const where = { netns, family: "inet", table: "firewall" };
    const [rule] = (await readCounterMap(ns, "inet", "firewall", "accounting"))?.values() ?? [];
    assert.ok(rule?.bytes && rule.bytes > 0n);
    assert.equal(exp.get("nfprom_bytes_total", { ...where, chain: "accounting", svc: "web" }), rule.bytes);
    const quota = await nftItem(ns, ["quota", "inet", "firewall", "web_quota"], "quota");
    assert.ok(u64(quota.used) > 0n);
    const quotaLabels = { ...where, name: "web_quota", mode: "until" };
    assert.equal(exp.get("nfprom_quota_used_bytes", quotaLabels), u64(quota.used));
    const set = await nftItem(ns, ["set", "inet", "firewall", "peers"], "set");
    const [{ elem }] = set.elem as [{ elem: { counter: { bytes: unknown; packets: unknown } } }];
    assert.ok(u64(elem.counter.bytes) > 0n);
    const elementLabels = { ...where, set: "peers", element: "127.0.0.1" };
    assert.equal(exp.get("nfprom_set_element_bytes_total", elementLabels), u64(elem.counter.bytes));
    assert.equal(exp.get("nfprom_set_element_packets_total", elementLabels), u64(elem.counter.packets));
    for (const source of ["objects", "sets"])
      assert.equal(exp.get("nfprom_source_success", { netns, source }), 1n);
  }
  assert.equal(await nf.stop(), 0);
});

/** threadNamespaces: the distinct network namespaces of every thread of `pid`. */
function threadNamespaces(pid: number): string[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return [...new Set(tasks.map((tid) => readlinkSync(`/proc/${pid}/task/${tid}/ns/net`)))];
}

/** descriptorLimitAtTwoMore: a RLIMIT_NOFILE that leaves `pid` exactly its two lowest free descriptors. */
function descriptorLimitAtTwoMore(pid: number): number {
  const used = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  const free: number[] = [];
  for (let fd = 0; free.length < 2; fd++) if (!used.has(fd)) free.push(fd);
  return (free[1] as number) + 1;
}

test("-netns: socket() failing inside a namespace fails that one alone, says why, and every thread is home", async (t) => {
  if (!requireRoot(t)) return;
  const home = await Netns.create("i21fail", { t });
  const first = await tenant("i21failsel", ["web"]);
  const nf = await startNfprom(home, ["-netns", `nfprom-i21failsel-${process.pid}-*`]);
  const own = readlinkSync(`/proc/${nf.pid}/ns/net`);
  assert.equal((await scrapeChecked(nf)).get("nfprom_up", { netns: first.ns.name }), 1n);
  // A namespace that appears now gets its sockets at the next scrape; the reader may then open the
  // namespace file and its own (two descriptors), but socket() fails with EMFILE inside the namespace.
  const second = await tenant("i21failsel", ["dns"]);
  const limit = descriptorLimitAtTwoMore(nf.pid);
  assert.equal((await run("prlimit", [`--pid=${nf.pid}`, `--nofile=${limit}:`])).code, 0);
  let exp = await scrapeChecked(nf);
  assert.equal(exp.get("nfprom_up", { netns: second.ns.name }), 0n);
  assert.equal(exp.get("nfprom_up", { netns: first.ns.name }), 1n);
  assert.deepEqual(threadNamespaces(nf.pid), [own], "every reader thread back in its own namespace");
  await nf.waitForLog(/namespace read failed.*socket\(AF_NETLINK\): EMFILE/);
  // The limit lifted, the namespace is read at the next scrape.
  assert.equal((await run("prlimit", [`--pid=${nf.pid}`, "--nofile=4096:"])).code, 0);
  exp = await scrapeChecked(nf);
  assert.equal(exp.get("nfprom_up", { netns: second.ns.name }), 1n);
  assert.equal(await nf.stop(), 0);
});

/** openIn: a netfilter socket opened in `ns`, closed again (it throws where nfprom's would). */
function openIn(ns: NetnsRef): void {
  RawNetlinkSocket.open(netfilterSocket({ recvTimeoutMs: 1_000, netns: ns })).close();
}

test("-netns opens a socket only in the namespace selected, and opens nothing that is no namespace", async (t) => {
  if (!requireRoot(t)) return;
  const [a, b] = [await Netns.create("i21pin", { t }), await Netns.create("i21pin", { t })];
  const dir = a.tempDir();
  // A bind mount that names a, then b instead: as a name deleted and made again, or a PID reused.
  const path = join(dir, "tenant");
  writeFileSync(path, "");
  const bind = async (ns: Netns) =>
    assert.equal((await run("mount", ["--bind", `/run/netns/${ns.name}`, path])).code, 0);
  const selected = { path, id: namespaceIdentity(statSync(`/run/netns/${a.name}`)) };
  try {
    await bind(a);
    openIn(selected);
    assert.equal((await run("umount", [path])).code, 0);
    await bind(b);
    assert.throws(() => openIn(selected), /no longer the namespace selected/);
  } finally {
    await run("umount", [path]);
  }

  // A FIFO given by mistake: its writer waits for a reader, and must still wait (opening has effects).
  const fifo = join(dir, "fifo");
  assert.equal((await run("mkfifo", [fifo])).code, 0);
  const writer = spawn("sh", ["-c", 'exec 3>"$0"; echo opened', fifo], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  t.after(() => writer.kill("SIGKILL"));
  let said = "";
  writer.stdout?.on("data", (chunk: Buffer) => {
    said += chunk;
  });
  const waiting = () => readFileSync(`/proc/${writer.pid}/wchan`, "utf8") === "wait_for_partner";
  await waitUntil(waiting, { timeoutMs: 5_000 });
  assert.throws(() => openIn({ path: fifo, id: "" }), /not a namespace/);
  assert.throws(() => openIn({ path: "/dev/null", id: "" }), /not a namespace/);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(waiting() && said === "", "the FIFO's writer still waits: nothing opened it");
});
