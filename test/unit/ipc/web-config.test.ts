import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ProtocolViolation } from "../../../src/ipc/framing.js";
import { WEB_EXIT_FATAL } from "../../../src/ipc/protocol.js";
import { decodeWebConfig, encodeWebConfig, type WebConfig } from "../../../src/ipc/web-config.js";

const CONFIG: WebConfig = {
  listen: [
    { host: "127.0.0.1", port: 9830 },
    { host: undefined, port: 0 },
  ],
  telemetryPath: "/metrics",
  maxRequests: 40,
  namespace: "nfprom",
  headerTimeoutMs: 10_000,
  readTimeoutMs: 5_000,
  logLevel: "info",
  logFormat: "json",
  policy: { allRules: true, duplicates: "handle", maxLabelNames: 64, maxLabelValueLength: 0 },
  refuseRoot: true,
  mayAuthenticate: false,
  identity: { uid: 65534, gid: 65534 },
};

/** with replaces one field of the encoded configuration (path: dotted keys), as a broken sender would. */
function withField(path: string, value: unknown): string {
  const o = JSON.parse(encodeWebConfig(CONFIG));
  const keys = path.split(".");
  const last = keys.pop() as string;
  let at = o;
  for (const k of keys) at = at[k];
  at[last] = value;
  return JSON.stringify(o);
}

test("what the reader encodes, the web process decodes unchanged", () => {
  assert.deepEqual(decodeWebConfig(encodeWebConfig(CONFIG)), {
    ...CONFIG,
    listen: [CONFIG.listen[0], { port: 0, host: undefined }],
  });
  const { identity: _, ...noIdentity } = CONFIG;
  assert.equal(decodeWebConfig(encodeWebConfig(noIdentity)).identity, undefined);
});

test("every wrong field is refused, naming the field", () => {
  const cases: [string, unknown, RegExp][] = [
    ["listen", "127.0.0.1:9830", /\.listen must be a list/],
    ["listen.0.port", 70_000, /listen\[0\]\.port must be an integer from 0 to 65535/],
    ["listen.1.host", 7, /listen\[1\]\.host must be a string/],
    ["telemetryPath", undefined, /\.telemetryPath must be a string/],
    ["maxRequests", -1, /\.maxRequests must be an integer/],
    ["readTimeoutMs", 1.5, /\.readTimeoutMs must be an integer/],
    ["logLevel", "verbose", /\.logLevel must be one of debug, info, warn, error/],
    ["policy.duplicates", "drop", /\.policy\.duplicates must be one of sum, handle, error/],
    ["policy.allRules", "yes", /\.policy\.allRules must be true or false/],
    ["refuseRoot", 1, /\.refuseRoot must be true or false/],
    ["identity.uid", "root", /\.identity\.uid must be an integer/],
  ];
  for (const [path, value, message] of cases) {
    assert.throws(
      () => decodeWebConfig(withField(path, value)),
      (err: unknown) => err instanceof ProtocolViolation && message.test(err.message),
      path,
    );
  }
  assert.throws(() => decodeWebConfig(undefined), /not JSON/);
  assert.throws(() => decodeWebConfig("[]"), /configuration must be an object/);
});

test("the web process started with a bad configuration says so and exits: restarting it will not help", () => {
  const main = fileURLToPath(new URL("../../../src/web/main.js", import.meta.url));
  const run = spawnSync(process.execPath, [main, withField("logLevel", "loud")], { encoding: "utf8" });
  assert.equal(run.status, WEB_EXIT_FATAL);
  assert.match(run.stderr, /bad configuration from the reader/);
  assert.match(run.stderr, /logLevel must be one of/);
});
