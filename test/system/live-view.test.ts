// The live view at / in a real headless Chromium, against a real exporter in a namespace, behind the
// same basic auth as /metrics: the table shows exactly the exposition's rule and named counter series,
// rates computed in the page move when traffic is sent, hostile comments (markup, quotes, 128 bytes)
// render as text, the strict CSP blocks nothing the page needs, and a screenshot is saved under
// test-artifacts/ (docs/live-view.png is one of these).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Browser, CHROMIUM } from "./browser.js";
import {
  accountingRuleset,
  Netns,
  parseExposition,
  REPO_ROOT,
  requireRoot,
  sendTraffic,
  startNfprom,
  waitUntil,
} from "./harness.js";
import { basicAuth, bcryptHash, writeWebConfig } from "./web-fixtures.js";

const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
const AUTH = basicAuth("viewer", "live pass");

/** pad128 fills `head` up to nft's 128-byte comment limit with markup, then closes it with `)`. */
function pad128(head: string): string {
  let text = head;
  while (Buffer.byteLength(text) + "<b>".length + 1 <= 128) text += "<b>";
  while (Buffer.byteLength(text) + 1 < 128) text += "x";
  return `${text})`;
}

/** An exported rule whose label values are markup, and a rejected one whose label name is. */
const HOSTILE = pad128(
  `nft(svc=<script>document.title="pwned"</script>;q='"><img src=x onerror=alert(1)>;m=`,
);
const HOSTILE_REJECTED = pad128(`nft(<img src=x onerror=alert(2)>="<script>alert(3)</script>";x='y';p=`);

/** nft's JSON syntax takes comments with quotes of both kinds, which its own syntax cannot carry. */
function hostileRules(port: number): string {
  const rule = (comment: string) => ({
    add: {
      rule: {
        family: "inet",
        table: "firewall",
        chain: "accounting",
        comment,
        expr: [
          { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: port } },
          { counter: { packets: 0, bytes: 0 } },
        ],
      },
    },
  });
  return JSON.stringify({ nftables: [rule(HOSTILE), rule(HOSTILE_REJECTED)] });
}

interface Row {
  kind: string;
  labels: string[];
  bytes: string;
  packets: string;
  bps: string;
}

const ROWS = `[...document.querySelectorAll("#series tbody tr")].map((tr) => ({
  kind: tr.cells[0].textContent,
  labels: [...tr.cells[1].querySelectorAll(".label")].map((s) => s.textContent),
  bytes: tr.querySelector(".bytes").textContent,
  packets: tr.querySelector(".packets").textContent,
  bps: tr.dataset.bps,
}))`;

test("the live view in Chromium: the exposition's series, moving rates, hostile comments as text, strict CSP", async (t) => {
  if (!requireRoot(t)) return;
  assert.deepEqual(
    [HOSTILE, HOSTILE_REJECTED].map((c) => Buffer.byteLength(c)),
    [128, 128],
  );
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (Debian package chromium)`);
  const ns = await Netns.create("live", { t });
  const web = ns.freePort();
  const dns = ns.freePort();
  const hostile = ns.freePort();
  await ns.nft(
    accountingRuleset(
      [
        `tcp dport ${web} counter comment "nft(svc=web;dir=in)"`,
        `udp dport ${dns} counter comment "nft(svc=dns;dir=in)"`,
        `tcp dport ${web} counter name "named_in"`,
        `tcp dport ${web} quota name "guest"`,
        `tcp dport ${web} update @clients { ip saddr }`,
        `udp dport ${dns} counter`,
      ],
      {
        declarations: [
          'counter named_in { comment "nft(service=named)" }',
          "quota guest { until 1000000 bytes }",
          "set clients { type ipv4_addr; size 16; flags dynamic; counter; }",
        ],
      },
    ),
  );
  const dir = ns.tempDir();
  writeFileSync(join(dir, "hostile.json"), hostileRules(hostile));
  const added = await ns.exec("nft", ["-j", "-f", join(dir, "hostile.json")]);
  assert.equal(added.code, 0, added.stderr);
  const config = writeWebConfig(dir, "web.yml", `basic_auth_users:\n  viewer: ${bcryptHash("live pass")}\n`);
  const all = "inet/firewall/*";
  const nf = await startNfprom(
    ns,
    ["--web.config.file", config, "-counters", all, "-quotas", all, "-sets", all],
    { waitReady: false },
  );
  await nf.waitForLog(/msg=listening/, 15_000);
  await sendTraffic(ns, { proto: "udp", host: "127.0.0.1", port: dns, bytes: 12_000 });

  // Same authentication as /metrics, and the page's security headers.
  for (const path of ["/", "/live.js", "/api/live"]) assert.equal((await nf.scrape(path)).status, 401, path);
  const page = await nf.scrape("/", AUTH);
  assert.equal(page.status, 200);
  assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
  assert.equal(page.headers["x-content-type-options"], "nosniff");
  assert.doesNotMatch(page.body, /<script>|<style>| on\w+=/, "no inline script or style in the page");

  const browser = Browser.launch(ns);
  t.after(() => browser.close());
  const tab = await browser.open(1280, 1000, AUTH);
  await tab.navigate(`${nf.baseUrl}/`);
  const rows = () => tab.evaluate<Row[]>(ROWS);
  const webRow = async () => (await rows()).find((r) => r.labels.includes('svc="web"'));
  await waitUntil(async () => (await webRow().catch(() => undefined))?.bps === "0", {
    timeoutMs: 30_000,
    what: `two reads in the page, the web rule's rate 0 (errors: ${tab.errors.join("; ")})`,
  });

  // Rates move when traffic is sent.
  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: web, bytes: 300_000 });
  await waitUntil(async () => Number((await webRow())?.bps) > 0, {
    timeoutMs: 20_000,
    what: "the web rule's rate to move",
  });
  await tab.evaluate(`document.getElementById("pause").click()`);
  // Sorted by rate, the busiest row comes first.
  await tab.evaluate(`document.querySelector('button[data-sort="bps"]').click()`);
  assert.ok((await rows())[0]?.labels.includes('svc="web"'), "sorting by bytes/s puts the busy rule first");

  // The table matches the exposition: every rule and named counter series, labels and values.
  const exposition = parseExposition((await nf.scrape("/metrics", AUTH)).body);
  const expected = [
    ...seriesOf(exposition, "rule", "nfprom_bytes_total", "nfprom_packets_total"),
    ...seriesOf(exposition, "counter", "nfprom_object_bytes_total", "nfprom_object_packets_total"),
    ...seriesOf(
      exposition,
      "set_element",
      "nfprom_set_element_bytes_total",
      "nfprom_set_element_packets_total",
    ),
  ].sort();
  const shown = (await rows())
    .map((r) => [r.kind, ...[...r.labels].sort(), r.bytes, r.packets].join(" "))
    .sort();
  assert.equal(expected.length, 5, "two rules, the hostile one, a named counter and a set element");
  assert.deepEqual(shown, expected);

  // Hostile comments are text: no element made from them, the document's title untouched, every byte shown.
  const hostileLabels = (await rows()).find((r) => r.labels.some((l) => l.includes("<script>")))?.labels;
  const parsedValues = HOSTILE.slice(4, -1)
    .split(";")
    .map(
      (pair) => `${pair.slice(0, pair.indexOf("="))}=${JSON.stringify(pair.slice(pair.indexOf("=") + 1))}`,
    );
  assert.deepEqual(hostileLabels?.sort(), parsedValues.sort());
  const dom = await tab.evaluate<{ scripts: number; injected: number; title: string; findings: string }>(`({
    scripts: document.scripts.length,
    injected: document.querySelectorAll("main img, main b, main script").length,
    title: document.title,
    findings: document.querySelector("#findings tbody").textContent,
  })`);
  assert.deepEqual(
    { ...dom, findings: undefined },
    { scripts: 1, injected: 0, title: "nfprom", findings: undefined },
  );
  assert.ok(dom.findings.includes(HOSTILE_REJECTED), "the rejected rule's comment, whole and as text");
  assert.match(dom.findings, /not a valid label name/);
  assert.match(dom.findings, /not exported: no comment/, "the ignored rule, as nfprom check says");

  // The strict CSP blocked nothing the page needs, and the page threw nothing.
  assert.deepEqual(tab.errors, []);

  // The quota and the set in the health tables.
  const health = await tab.evaluate<string>(
    `document.querySelector("#quotas").textContent + document.querySelector("#sets").textContent`,
  );
  assert.match(health, /inet\/firewall\/guest/);
  assert.match(health, /inet\/firewall\/clients.*16/);

  mkdirSync(ARTIFACTS, { recursive: true });
  const png = await tab.screenshot();
  assert.equal(png.subarray(1, 4).toString(), "PNG");
  writeFileSync(join(ARTIFACTS, "live-view.png"), png);
  await nf.stop();
});

/** seriesOf: the exposition's series of one kind as the page's rows read (labels as `key="value"`). */
function seriesOf(
  exposition: ReturnType<typeof parseExposition>,
  kind: string,
  bytes: string,
  packets: string,
) {
  return exposition.byName(bytes).map((s) => {
    const labels = Object.entries(s.labels)
      .filter(([, v]) => v !== "")
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .sort();
    return [kind, ...labels, String(s.value), String(exposition.get(packets, s.labels))].join(" ");
  });
}
