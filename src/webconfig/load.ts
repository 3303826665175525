import { createPrivateKey, X509Certificate } from "node:crypto";
import { dirname, resolve } from "node:path";
import { fs, tls } from "../builtins.js";
import { type PemSource, type TlsSettings, WebConfigError, type WebSecurity } from "./model.js";
import { parseWebConfig } from "./parse.js";

const { readFileSync } = fs;

/**
 * loadWebSecurity reads the web config file and every file it names (certificate, key, client CA), checks
 * that OpenSSL accepts them together, and returns the contents ready to send to the web process. Runs in
 * the privileged reader, which may read root-only key files. Throws WebConfigError naming the file and key.
 */
export function loadWebSecurity(path: string): WebSecurity {
  const file = resolve(path);
  const where = `web config ${file}`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new WebConfigError(
      `${where}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    const spec = parseWebConfig(text, dirname(file));
    const tls = spec.tls && loadTls(spec.tls);
    return { ...spec, tls, source: file };
  } catch (err) {
    if (err instanceof WebConfigError) throw new WebConfigError(`${where}: ${err.message}`);
    throw err;
  }
}

function loadTls(spec: TlsSettings<PemSource>): TlsSettings<string> {
  const t = {
    ...spec,
    cert: readPem(spec.cert),
    key: readPem(spec.key),
    clientCa: spec.clientCa && readPem(spec.clientCa),
  };
  check(spec.cert, () => new X509Certificate(t.cert), "is not a PEM certificate");
  check(
    spec.key,
    () => createPrivateKey(t.key),
    "is not a PEM private key (encrypted keys are not supported)",
  );
  check(
    spec.key,
    () => {
      if (!new X509Certificate(t.cert).checkPrivateKey(createPrivateKey(t.key))) throw new Error("mismatch");
    },
    `does not belong to the certificate in ${spec.cert.key}`,
  );
  if (spec.clientCa && t.clientCa) {
    const ca = t.clientCa;
    check(spec.clientCa, () => parseBundle(ca), "is not a PEM CA certificate bundle");
  }
  const p = "tls_server_config";
  checkKey(`${p}.cipher_suites`, () => t.ciphers && tls().createSecureContext({ ciphers: t.ciphers }));
  checkKey(`${p}.curve_preferences`, () => t.curves && tls().createSecureContext({ ecdhCurve: t.curves }));
  return t;
}

/** parseBundle parses every certificate of a PEM bundle; OpenSSL itself silently skips garbage. */
function parseBundle(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error("no certificate");
  for (const block of blocks) new X509Certificate(block);
}

function readPem(src: PemSource): string {
  if ("inline" in src) return src.inline;
  try {
    return readFileSync(src.file, "utf8");
  } catch (err) {
    throw new WebConfigError(
      `tls_server_config.${src.key}: cannot read ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function check(src: PemSource, fn: () => unknown, what: string): void {
  const name = "file" in src ? `${src.file} ` : "";
  checkKey(`tls_server_config.${src.key}`, fn, `${name}${what}`);
}

/** checkKey turns an OpenSSL complaint about one setting into a WebConfigError naming its key. */
function checkKey(path: string, fn: () => unknown, what?: string): void {
  try {
    fn();
  } catch (err) {
    throw new WebConfigError(`${path}: ${what ?? (err as Error).message}`);
  }
}
