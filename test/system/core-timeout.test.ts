// Core integration tests (issue 2 §8, seed flag -timeout): a client that sends part of a request header and then
// nothing is disconnected after about -timeout; a client that finishes in time is served. The slow client runs
// inside the namespace (test/system/slow-client.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { webPid } from "./core-common.js";
import {
  accountingRuleset,
  Netns,
  type NfpromHandle,
  processAlive,
  requireRoot,
  startNfprom,
} from "./harness.js";

const SLOW_CLIENT_JS = fileURLToPath(new URL("./slow-client.js", import.meta.url));
const PARTIAL = "GET /metrics HTTP/1.1\\r\\nHost: nfprom\\r\\nUser-Agent: slow";

interface ConnReport {
  closed: boolean;
  closedAfterMs: number | null;
  received: string;
}

async function slowClient(ns: Netns, h: NfpromHandle, args: string[]): Promise<ConnReport[]> {
  const r = await ns.exec(
    process.execPath,
    [SLOW_CLIENT_JS, "--host", "127.0.0.1", "--port", String(h.port), ...args],
    {
      timeoutMs: 30_000,
    },
  );
  assert.equal(r.code, 0, `slow client failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { connections: ConnReport[] }).connections;
}

test("-timeout 1s: partial request headers, then silence — disconnected after about 1 s", async (t) => {
  if (!requireRoot(t)) return;
  const ns = await Netns.create("timeout", { t });
  await ns.nft(accountingRuleset(['counter comment "nft(svc=a)"'], { hooks: false }));
  const h = await startNfprom(ns, ["-timeout", "1s"]);
  const web = await webPid(h);

  // Five clients at once, so that one slow client cannot hide another; and a normal scrape meanwhile.
  const [slow, normal] = await Promise.all([
    slowClient(ns, h, ["--send", PARTIAL, "--connections", "5", "--max-ms", "6000"]),
    h.scrape(),
  ]);
  assert.equal(normal.status, 200, "a normal scrape is served while slow clients wait");
  assert.equal(slow.length, 5);
  for (const c of slow) {
    assert.equal(c.closed, true, `still open after 6 s: ${JSON.stringify(c)}`);
    assert.ok(c.closedAfterMs !== null && c.closedAfterMs >= 900, `closed too early: ${c.closedAfterMs} ms`);
    assert.ok(c.closedAfterMs <= 3000, `closed after ${c.closedAfterMs} ms, want about 1 s (at most 3 s)`);
    assert.ok(
      c.received === "" || c.received.startsWith("HTTP/1.1 408 "),
      `unexpected answer: ${c.received}`,
    );
    assert.doesNotMatch(c.received, /metrics|nfprom_/, "no metrics for an incomplete request");
  }

  // Nothing at all sent after connecting: also cut off.
  const [idle] = await slowClient(ns, h, ["--max-ms", "6000"]);
  assert.ok(idle?.closed, `an idle connection stays open: ${JSON.stringify(idle)}`);
  assert.ok((idle.closedAfterMs ?? 0) <= 3000, `idle connection closed after ${idle.closedAfterMs} ms`);

  // Control: the same request finished after 300 ms (< -timeout) is answered with the metrics.
  const [ok] = await slowClient(ns, h, [
    "--send",
    PARTIAL,
    "--finish",
    "\\r\\nConnection: close\\r\\n\\r\\n",
    "--finish-after-ms",
    "300",
    "--max-ms",
    "6000",
  ]);
  assert.ok(ok?.closed, JSON.stringify(ok));
  assert.match(ok.received, /^HTTP\/1\.1 200 /);
  assert.match(ok.received, /\nnfprom_bytes_total\{svc="a"\} 0\n/);
  assert.ok(processAlive(web) && processAlive(h.pid), "slow clients must not take anything down");
});
