import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { weaknesses } from "../../../src/reader/web-security.js";
import { loadWebSecurity } from "../../../src/webconfig/load.js";
import { listenerShape, NO_SECURITY, WebConfigError } from "../../../src/webconfig/model.js";
import { parseWebConfig } from "../../../src/webconfig/parse.js";

const HASH = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
const parse = (yaml: string) => parseWebConfig(yaml, "/etc/nfprom");
const rejects = (yaml: string, message: RegExp) => () =>
  assert.throws(
    () => parse(yaml),
    (err: unknown) => err instanceof WebConfigError && message.test(err.message),
  );

describe("parseWebConfig: accepted files", () => {
  test("an empty file: plain HTTP, no users, no headers", () => {
    assert.deepEqual(parse(""), { tls: undefined, users: {}, headers: {}, rateLimit: undefined });
    assert.deepEqual(parse("tls_server_config:\nbasic_auth_users:\n"), parse(""));
  });

  test("every key, with the toolkit's names mapped to OpenSSL's", () => {
    const spec = parse(`
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
  client_allowed_sans: [prometheus.example.org]
basic_auth_users:
  alice: ${HASH}
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
rate_limit:
  burst: 5
  interval: 1s
`);
    assert.deepEqual(spec, {
      tls: {
        cert: { file: "/etc/nfprom/server.crt", key: "cert_file" },
        key: { file: "/abs/server.key", key: "key_file" },
        clientCa: { file: "/etc/nfprom/ca.crt", key: "client_ca_file" },
        clientAuth: "RequireAndVerifyClientCert",
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
        ciphers:
          "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        curves: "X25519:P-256",
        honorCipherOrder: false,
        clientAllowedSans: ["prometheus.example.org"],
      },
      users: { alice: HASH },
      headers: { "X-Frame-Options": "deny", "Strict-Transport-Security": "max-age=31536000" },
      rateLimit: { burst: 5, intervalMs: 1000 },
    });
  });

  test("defaults as in the toolkit: TLS 1.2 to 1.3, server cipher order, no client certificate", () => {
    const tls = parse("tls_server_config:\n  cert: PEM1\n  key: PEM2\n").tls;
    assert.deepEqual(tls, {
      cert: { inline: "PEM1", key: "cert" },
      key: { inline: "PEM2", key: "key" },
      clientCa: undefined,
      clientAuth: "NoClientCert",
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.3",
      ciphers: undefined,
      curves: undefined,
      honorCipherOrder: true,
      clientAllowedSans: undefined,
    });
  });

  test("RequireClientCert is the toolkit's older name of RequireAnyClientCert", () => {
    const tls = parse("tls_server_config:\n  cert: A\n  key: B\n  client_auth_type: RequireClientCert\n").tls;
    assert.equal(tls?.clientAuth, "RequireAnyClientCert");
  });

  test("only TLS 1.3 suites listed: OpenSSL's defaults stay", () => {
    const tls = parse(
      "tls_server_config:\n  cert: A\n  key: B\n  cipher_suites: [TLS_AES_256_GCM_SHA384]\n",
    ).tls;
    assert.equal(tls?.ciphers, undefined);
  });

  test("rate_limit without interval is off", () =>
    assert.equal(parse("rate_limit:\n  burst: 3\n").rateLimit, undefined));
});

describe("parseWebConfig: rejected files name the key", () => {
  const cases: [string, string, RegExp][] = [
    ["unknown top-level key", "tls_config:\n  cert_file: x\n", /^tls_config: unknown key$/],
    [
      "unknown TLS key",
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n",
      /^tls_server_config.certfile: unknown key$/,
    ],
    ["unknown http key", "http_server_config:\n  http3: true\n", /^http_server_config.http3: unknown key$/],
    ["unknown rate_limit key", "rate_limit:\n  bursts: 1\n", /^rate_limit.bursts: unknown key$/],
    ["not YAML", "tls_server_config: [\n", /^not valid YAML/],
    ["duplicate key", "basic_auth_users: {}\nbasic_auth_users: {}\n", /^not valid YAML.*unique/i],
    ["not a mapping", "- a\n- b\n", /^top level: expected a mapping$/],
    [
      "cert without key",
      "tls_server_config:\n  cert_file: a\n",
      /^tls_server_config: missing one of key or key_file$/,
    ],
    [
      "key without cert",
      "tls_server_config:\n  key_file: a\n",
      /^tls_server_config: missing one of cert or cert_file$/,
    ],
    [
      "cert twice",
      "tls_server_config:\n  cert: A\n  cert_file: a\n  key: B\n",
      /set only one of cert and cert_file/,
    ],
    [
      "cert_file not a string",
      "tls_server_config:\n  cert_file: [a]\n  key_file: b\n",
      /^tls_server_config.cert_file: expected a string$/,
    ],
    [
      "client auth type",
      "tls_server_config:\n  cert: A\n  key: B\n  client_auth_type: Maybe\n",
      /^tls_server_config.client_auth_type: unknown value "Maybe"/,
    ],
    [
      "CA without client auth",
      "tls_server_config:\n  cert: A\n  key: B\n  client_ca_file: ca\n",
      /client_ca_file: a client CA is configured but client_auth_type is NoClientCert/,
    ],
    [
      "verify without CA",
      "tls_server_config:\n  cert: A\n  key: B\n  client_auth_type: RequireAndVerifyClientCert\n",
      /needs client_ca_file/,
    ],
    [
      "min_version",
      "tls_server_config:\n  cert: A\n  key: B\n  min_version: TLS14\n",
      /^tls_server_config.min_version: unknown TLS version "TLS14"/,
    ],
    [
      "max_version",
      "tls_server_config:\n  cert: A\n  key: B\n  max_version: 1.3\n",
      /^tls_server_config.max_version: expected a string$/,
    ],
    [
      "min above max",
      "tls_server_config:\n  cert: A\n  key: B\n  min_version: TLS13\n  max_version: TLS12\n",
      /min_version is above max_version/,
    ],
    [
      "cipher",
      "tls_server_config:\n  cert: A\n  key: B\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
      /^tls_server_config.cipher_suites: unknown or insecure cipher suite "TLS_RSA_WITH_RC4_128_SHA"$/,
    ],
    [
      "cipher list",
      "tls_server_config:\n  cert: A\n  key: B\n  cipher_suites: TLS_AES_128_GCM_SHA256\n",
      /cipher_suites: expected a list/,
    ],
    [
      "curve",
      "tls_server_config:\n  cert: A\n  key: B\n  curve_preferences: [P-256]\n",
      /^tls_server_config.curve_preferences: unknown curve "P-256"/,
    ],
    [
      "prefer_server_cipher_suites",
      "tls_server_config:\n  cert: A\n  key: B\n  prefer_server_cipher_suites: yes\n",
      /prefer_server_cipher_suites: expected true or false/,
    ],
    [
      "allowed sans",
      "tls_server_config:\n  cert: A\n  key: B\n  client_allowed_sans: [1]\n",
      /client_allowed_sans\[0\]: expected a string/,
    ],
    ["hash", "basic_auth_users:\n  alice: secret\n", /^basic_auth_users.alice: not a bcrypt hash/],
    [
      "hash cost",
      "basic_auth_users:\n  alice: $2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n",
      /^basic_auth_users.alice: not a bcrypt hash/,
    ],
    [
      "user with colon",
      `basic_auth_users:\n  "a:b": ${HASH}\n`,
      /^basic_auth_users.a:b: a user name must be non-empty and contain no colon/,
    ],
    ["users not a mapping", "basic_auth_users: [alice]\n", /^basic_auth_users: expected a mapping$/],
    [
      "header",
      "http_server_config:\n  headers:\n    Server: nfprom\n",
      /^http_server_config.headers.Server: this header cannot be configured/,
    ],
    [
      "header value",
      "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
      /^http_server_config.headers.X-Frame-Options: "allow" is not one of deny, sameorigin$/,
    ],
    ["http2", "http_server_config:\n  http2: maybe\n", /^http_server_config.http2: expected true or false$/],
    [
      "interval",
      "rate_limit:\n  burst: 1\n  interval: soon\n",
      /^rate_limit.interval: "soon" is not a duration/,
    ],
    ["burst", "rate_limit:\n  burst: 0\n  interval: 1s\n", /^rate_limit.burst: must be an integer >= 1$/],
    [
      "allowed sans without a required client certificate",
      "tls_server_config:\n  cert: A\n  key: B\n  client_allowed_sans: [a]\n",
      /^tls_server_config.client_allowed_sans: needs client_auth_type RequireAnyClientCert/,
    ],
    // A TLS block without a certificate turns TLS off, but its values are still checked, as in the toolkit.
    [
      "min_version without a certificate",
      "tls_server_config:\n  min_version: TLS99\n",
      /^tls_server_config.min_version: unknown TLS version "TLS99"/,
    ],
    [
      "max_version without a certificate",
      "tls_server_config:\n  max_version: [TLS13]\n",
      /^tls_server_config.max_version: expected a string$/,
    ],
    [
      "cipher without a certificate",
      "tls_server_config:\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
      /^tls_server_config.cipher_suites: unknown or insecure cipher suite/,
    ],
    [
      "curve without a certificate",
      "tls_server_config:\n  curve_preferences: [P-256]\n",
      /^tls_server_config.curve_preferences: unknown curve/,
    ],
    [
      "prefer_server_cipher_suites without a certificate",
      "tls_server_config:\n  prefer_server_cipher_suites: 1\n",
      /prefer_server_cipher_suites: expected true or false/,
    ],
    [
      "allowed sans without TLS",
      "tls_server_config:\n  client_allowed_sans: [a]\n",
      /^tls_server_config.client_allowed_sans: set, but TLS is off/,
    ],
  ];
  for (const [name, yaml, message] of cases) test(name, rejects(yaml, message));
});

describe("loadWebSecurity (files made with openssl)", () => {
  let dir = "";
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "nfprom-webcfg-"));
    for (const name of ["a", "b"]) {
      openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-days",
        "1",
        "-subj",
        `/CN=${name}`,
      );
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("reads the certificate, key and CA relative to the file", () => {
    const sec = loadWebSecurity(
      file(
        "ok.yml",
        "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: b.crt\n",
      ),
    );
    assert.match(sec.tls?.cert ?? "", /^-----BEGIN CERTIFICATE-----/);
    assert.match(sec.tls?.key ?? "", /^-----BEGIN PRIVATE KEY-----/);
    assert.match(sec.tls?.clientCa ?? "", /^-----BEGIN CERTIFICATE-----/);
    assert.equal(sec.source, join(dir, "ok.yml"));
    assert.equal(listenerShape(sec), "https/RequireAndVerifyClientCert");
    assert.equal(listenerShape(NO_SECURITY), "http");
  });

  const bad: [string, string, RegExp][] = [
    [
      "missing file",
      "tls_server_config:\n  cert_file: nope.crt\n  key_file: a.key\n",
      /tls_server_config.cert_file: cannot read .*nope.crt: ENOENT/,
    ],
    [
      "key of another certificate",
      "tls_server_config:\n  cert_file: a.crt\n  key_file: b.key\n",
      /tls_server_config.key_file: .*b.key does not belong to the certificate in cert_file/,
    ],
    [
      "key is a certificate",
      "tls_server_config:\n  cert_file: a.crt\n  key_file: a.crt\n",
      /tls_server_config.key_file: .*is not a PEM private key/,
    ],
    [
      "certificate is a key",
      "tls_server_config:\n  cert_file: a.key\n  key_file: a.key\n",
      /tls_server_config.cert_file: .*is not a PEM certificate/,
    ],
    [
      "CA is garbage",
      "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: RequireAnyClientCert\n  client_ca: garbage\n",
      /tls_server_config.client_ca: is not a PEM CA certificate bundle/,
    ],
  ];
  for (const [name, yaml, message] of bad) {
    test(name, () => {
      const path = file(`${name.replace(/\W/g, "_")}.yml`, yaml);
      assert.throws(
        () => loadWebSecurity(path),
        (err: unknown) => {
          assert.ok(err instanceof WebConfigError);
          assert.ok(err.message.startsWith(`web config ${path}: `), err.message);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  test("an unreadable config file", () => {
    assert.throws(
      () => loadWebSecurity(join(dir, "absent.yml")),
      /^WebConfigError: web config .*absent.yml: cannot read it: ENOENT$/,
    );
  });
});

describe("weaknesses: what a web config file leaves open", () => {
  const tls = (clientAuth: string) => ({ tls: { clientAuth } }) as unknown as Partial<typeof NO_SECURITY>;
  const of = (extra: Partial<typeof NO_SECURITY>) => weaknesses({ ...NO_SECURITY, source: "f", ...extra });
  test("an empty file: neither TLS nor authentication", () =>
    assert.deepEqual(of({}), [
      "web config file enables neither TLS nor authentication: plain HTTP, every client that reaches the port can scrape",
    ]));
  test("TLS without users or verified client certificates", () =>
    assert.match(of(tls("NoClientCert")).join(), /no basic_auth_users and no verified client certificates/));
  test("users without TLS", () =>
    assert.deepEqual(of({ users: { a: HASH } }), [
      "web config file sets basic_auth_users without TLS: passwords cross the network in clear text",
    ]));
  test("users with TLS, or verified client certificates: nothing to say", () => {
    assert.deepEqual(of({ users: { a: HASH }, ...tls("NoClientCert") }), []);
    assert.deepEqual(of(tls("RequireAndVerifyClientCert")), []);
  });
});
