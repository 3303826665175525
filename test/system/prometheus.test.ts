// A real Prometheus (Debian's /usr/bin/prometheus) scrapes nfprom inside a test namespace over TLS with a
// client certificate and basic auth; its HTTP API must report up 1 and, for a rule that counts only the
// traffic this test generates, exactly the kernel's counter. Prometheus 2.x asks for OpenMetrics first,
// so this also proves that Prometheus accepts nfprom's OpenMetrics.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import {
  accountingRuleset,
  Netns as NetnsClass,
  readCounterMap,
  requireRoot,
  scrape,
  sendTraffic,
  startNfprom,
  waitUntil,
} from "./harness.js";
import { PROMETHEUS, startPrometheus } from "./prometheus.js";
import { basicAuth, bcryptHash, makePki, type Pki, writeWebConfig } from "./web-fixtures.js";

/** The Accept header Prometheus 2.x sends (scrape/scrape.go, acceptHeader). */
const PROMETHEUS_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

function prometheusConfig(pki: Pki, target: string): string {
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: nfprom
    scheme: https
    tls_config:
      ca_file: ${pki.ca}
      cert_file: ${pki.clientCert}
      key_file: ${pki.clientKey}
      server_name: localhost
    basic_auth:
      username: prometheus
      password: "s3cret pass"
    static_configs:
      - targets: ["${target}"]
`;
}

test("Prometheus scrapes nfprom over mutual TLS with basic auth; values equal the kernel's", async (t) => {
  if (!requireRoot(t)) return;
  assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing (Debian package prometheus)`);
  const ns = await NetnsClass.create("prom", { t });
  const trafficPort = ns.freePort();
  await ns.nft(accountingRuleset([`tcp dport ${trafficPort} counter comment "nft(svc=measured)"`]));
  const dir = ns.tempDir();
  const pki = await makePki(dir);
  const webConfig = writeWebConfig(
    dir,
    "web.yml",
    `tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
basic_auth_users:
  prometheus: ${bcryptHash("s3cret pass")}
`,
  );
  const nfPort = ns.freePort();
  const nfprom = await startNfprom(
    ns,
    ["--web.listen-address", `127.0.0.1:${nfPort}`, "--web.config.file", webConfig],
    {
      waitReady: false,
    },
  );
  await nfprom.waitForLog(/msg=listening/, 15_000);

  const prom = await startPrometheus(ns, prometheusConfig(pki, `127.0.0.1:${nfPort}`));

  const up = async () => (await prom.query('up{job="nfprom"}').catch(() => []))[0]?.value[1];
  await waitUntil(async () => (await up()) === "1", {
    timeoutMs: 30_000,
    what: `up == 1\n${prom.log().slice(-3000)}`,
  });

  // Traffic that only the measured rule counts; afterwards the kernel counter stays put.
  await sendTraffic(ns, { proto: "tcp", host: "127.0.0.1", port: trafficPort, bytes: 123_457 });
  const oracle = (await readCounterMap(ns, "inet", "firewall", "accounting"))?.get("nft(svc=measured)");
  assert.ok(oracle?.bytes && oracle.bytes > 123_457n, "the kernel counted the traffic");
  let seen: string | undefined;
  await waitUntil(
    async () => {
      seen = (await prom.query('nfprom_bytes_total{svc="measured"}'))[0]?.value[1];
      return seen === String(oracle.bytes);
    },
    { timeoutMs: 20_000, what: `Prometheus to report ${oracle.bytes} bytes (last seen ${seen})` },
  );
  const packets = (await prom.query('nfprom_packets_total{svc="measured"}'))[0]?.value[1];
  assert.equal(packets, String(oracle.packets));
  assert.equal(
    (await readCounterMap(ns, "inet", "firewall", "accounting"))?.get("nft(svc=measured)")?.bytes,
    oracle.bytes,
  );

  // What Prometheus was served: OpenMetrics (its first choice), gzip-compressed.
  const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
  const direct = await scrape(
    ns,
    `https://localhost:${nfPort}/metrics`,
    { ...basicAuth("prometheus", "s3cret pass"), Accept: PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip" },
    tls,
  );
  assert.equal(direct.status, 200);
  assert.equal(direct.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
  assert.equal(direct.headers["content-encoding"], "gzip");
  const samples = await prom.query('scrape_samples_scraped{job="nfprom"}');
  assert.ok(
    Number(samples[0]?.value[1]) > 10,
    "Prometheus stored every sample of the OpenMetrics exposition",
  );
  const process = await prom.query('process_resident_memory_bytes{job="nfprom"}');
  assert.ok(Number(process[0]?.value[1]) > 0);

  // Prometheus logged no scrape problems.
  assert.doesNotMatch(prom.log(), /level=(warn|error).*nfprom/i);
  await nfprom.stop();
});
