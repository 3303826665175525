import { isAbsolute, join } from "node:path";
import { parseDocument } from "yaml";
import { parseDuration } from "../duration.js";
import {
  CLIENT_AUTH_TYPES,
  type ClientAuthType,
  type PemSource,
  type RateLimit,
  type TlsSettings,
  WebConfigError,
  type WebConfigSpec,
} from "./model.js";
import {
  ALLOWED_HEADERS,
  CIPHER_SUITES,
  CURVES,
  OPENSSL_TLS13,
  TLS_VERSIONS,
  TLS13_SUITES,
} from "./tls-names.js";

type Obj = Record<string, unknown>;

const TOP_KEYS = ["tls_server_config", "basic_auth_users", "http_server_config", "rate_limit"];
const TLS_KEYS = [
  "cert",
  "key",
  "client_ca",
  "cert_file",
  "key_file",
  "client_ca_file",
  "client_auth_type",
  "cipher_suites",
  "curve_preferences",
  "min_version",
  "max_version",
  "prefer_server_cipher_suites",
  "client_allowed_sans",
];
/** bcrypt's modular crypt format: $2a$, $2b$ or $2y$, a two-digit cost, 22 characters salt + 31 hash. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/**
 * parseWebConfig validates the YAML text of an exporter-toolkit web config file (same keys, same defaults:
 * TLS 1.2 to 1.3, server cipher order) and resolves relative file names against `baseDir`. It reads no
 * file. Unknown keys, wrong types and values the toolkit would reject throw WebConfigError naming the key.
 */
export function parseWebConfig(text: string, baseDir: string): WebConfigSpec {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) throw new WebConfigError(`not valid YAML: ${problem.message}`);
  const root = map(doc.toJS() ?? {}, "", TOP_KEYS);
  const http = map(root.http_server_config ?? {}, "http_server_config", ["http2", "headers"]);
  // http2 is accepted for compatibility; nfprom serves HTTP/1.1, which every Prometheus scrapes.
  if (http.http2 !== undefined) bool(http.http2, "http_server_config.http2");
  return {
    tls: tlsSettings(map(root.tls_server_config ?? {}, "tls_server_config", TLS_KEYS), baseDir),
    users: users(root.basic_auth_users ?? {}),
    headers: headers(http.headers ?? {}),
    rateLimit: rateLimit(root.rate_limit),
  };
}

function tlsSettings(t: Obj, baseDir: string): TlsSettings<PemSource> | undefined {
  const p = "tls_server_config";
  // Every value is checked whether or not TLS ends up on: the toolkit decodes the whole block strictly,
  // so a bad min_version beside no certificate is an error there too, not a setting silently dropped.
  const minVersion = version(t.min_version ?? "TLS12", `${p}.min_version`);
  const maxVersion = version(t.max_version ?? "TLS13", `${p}.max_version`);
  const common = {
    clientAuth: clientAuthType(t.client_auth_type),
    minVersion,
    maxVersion,
    ciphers: ciphers(t.cipher_suites),
    curves: curves(t.curve_preferences),
    honorCipherOrder:
      t.prefer_server_cipher_suites === undefined
        ? true
        : bool(t.prefer_server_cipher_suites, `${p}.prefer_server_cipher_suites`),
    clientAllowedSans:
      t.client_allowed_sans === undefined
        ? undefined
        : strings(t.client_allowed_sans, `${p}.client_allowed_sans`),
  };
  const cert = pem(t, "cert", baseDir);
  const key = pem(t, "key", baseDir);
  const clientCa = pem(t, "client_ca", baseDir);
  // As the toolkit's TLSConfig.IsEnabled: any certificate or client-auth key turns TLS on.
  const enabled = cert || key || clientCa || (t.client_auth_type ?? "") !== "";
  if (!enabled) {
    if (common.clientAllowedSans)
      throw new WebConfigError(`${p}.client_allowed_sans: set, but TLS is off (no cert_file)`);
    return undefined;
  }
  if (!cert) throw new WebConfigError(`${p}: missing one of cert or cert_file`);
  if (!key) throw new WebConfigError(`${p}: missing one of key or key_file`);
  const clientAuth = common.clientAuth;
  if (clientCa && clientAuth === "NoClientCert") {
    throw new WebConfigError(
      `${p}.${clientCa.key}: a client CA is configured but client_auth_type is NoClientCert`,
    );
  }
  if (
    !clientCa &&
    (clientAuth === "VerifyClientCertIfGiven" || clientAuth === "RequireAndVerifyClientCert")
  ) {
    // Go would verify against the system roots: any publicly trusted certificate would be a valid client.
    throw new WebConfigError(`${p}.client_auth_type: ${clientAuth} needs client_ca_file (or client_ca)`);
  }
  if (
    common.clientAllowedSans &&
    clientAuth !== "RequireAnyClientCert" &&
    clientAuth !== "RequireAndVerifyClientCert"
  ) {
    // Without a required client certificate there may be nothing to match: the toolkit refuses it.
    throw new WebConfigError(
      `${p}.client_allowed_sans: needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert`,
    );
  }
  // Node's version names sort lexically in protocol order: TLSv1 < TLSv1.1 < TLSv1.2 < TLSv1.3.
  if (minVersion > maxVersion) throw new WebConfigError(`${p}: min_version is above max_version`);
  return { cert, key, clientCa, ...common };
}

/** pem reads `<name>_file` (a path) or `<name>` (inline PEM); both at once is ambiguous and an error. */
function pem(t: Obj, name: string, baseDir: string): PemSource | undefined {
  const p = "tls_server_config";
  const file = t[`${name}_file`] === undefined ? "" : str(t[`${name}_file`], `${p}.${name}_file`);
  const inline = t[name] === undefined ? "" : str(t[name], `${p}.${name}`);
  if (file !== "" && inline !== "")
    throw new WebConfigError(`${p}: set only one of ${name} and ${name}_file`);
  if (file !== "") return { file: isAbsolute(file) ? file : join(baseDir, file), key: `${name}_file` };
  return inline === "" ? undefined : { inline, key: name };
}

function clientAuthType(v: unknown): ClientAuthType {
  const text = v === undefined ? "" : str(v, "tls_server_config.client_auth_type");
  if (text === "") return "NoClientCert";
  if (text === "RequireClientCert") return "RequireAnyClientCert"; // the toolkit's older spelling
  if ((CLIENT_AUTH_TYPES as readonly string[]).includes(text)) return text as ClientAuthType;
  throw new WebConfigError(
    `tls_server_config.client_auth_type: unknown value "${text}" (one of ${CLIENT_AUTH_TYPES.join(", ")})`,
  );
}

function version(v: unknown, path: string) {
  const text = str(v, path);
  const node = TLS_VERSIONS[text];
  if (!node)
    throw new WebConfigError(
      `${path}: unknown TLS version "${text}" (one of ${Object.keys(TLS_VERSIONS).join(", ")})`,
    );
  return node;
}

function ciphers(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const path = "tls_server_config.cipher_suites";
  const names = strings(v, path);
  const openssl: string[] = [];
  for (const name of names) {
    if (TLS13_SUITES.includes(name)) continue;
    const mapped = CIPHER_SUITES[name];
    if (!mapped) throw new WebConfigError(`${path}: unknown or insecure cipher suite "${name}"`);
    openssl.push(mapped);
  }
  return openssl.length === 0 ? undefined : `${OPENSSL_TLS13}:${openssl.join(":")}`;
}

function curves(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const path = "tls_server_config.curve_preferences";
  const names = strings(v, path).map((name) => {
    const mapped = CURVES[name];
    if (!mapped)
      throw new WebConfigError(`${path}: unknown curve "${name}" (one of ${Object.keys(CURVES).join(", ")})`);
    return mapped;
  });
  return names.length === 0 ? undefined : names.join(":");
}

function users(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [user, hash] of Object.entries(map(v, "basic_auth_users", undefined))) {
    const path = `basic_auth_users.${user}`;
    if (user === "" || user.includes(":"))
      throw new WebConfigError(`${path}: a user name must be non-empty and contain no colon`);
    const text = str(hash, path);
    const cost = BCRYPT.exec(text)?.[1];
    if (cost === undefined || Number(cost) < 4 || Number(cost) > 31) {
      throw new WebConfigError(
        `${path}: not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-31; make one with htpasswd -nBC 10 "")`,
      );
    }
    out[user] = text;
  }
  return out;
}

function headers(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(map(v, "http_server_config.headers", undefined))) {
    const path = `http_server_config.headers.${name}`;
    if (!Object.hasOwn(ALLOWED_HEADERS, name)) {
      throw new WebConfigError(
        `${path}: this header cannot be configured (allowed: ${Object.keys(ALLOWED_HEADERS).join(", ")})`,
      );
    }
    const text = str(value, path);
    const allowed = ALLOWED_HEADERS[name];
    if (allowed && !allowed.includes(text))
      throw new WebConfigError(`${path}: "${text}" is not one of ${allowed.join(", ")}`);
    if (/[\r\n\0]/.test(text)) throw new WebConfigError(`${path}: a header value cannot contain line breaks`);
    out[name] = text;
  }
  return out;
}

function rateLimit(v: unknown): RateLimit | undefined {
  if (v === undefined || v === null) return undefined;
  const r = map(v, "rate_limit", ["burst", "interval"]);
  const interval = r.interval === undefined ? "" : str(r.interval, "rate_limit.interval");
  const intervalMs = interval === "" ? 0 : parseDuration(interval);
  if (intervalMs === undefined)
    throw new WebConfigError(`rate_limit.interval: "${interval}" is not a duration such as 1s`);
  if (intervalMs === 0) return undefined; // as in the toolkit: no interval, no limit
  const burst = r.burst ?? 0;
  if (!Number.isInteger(burst) || (burst as number) < 1)
    throw new WebConfigError("rate_limit.burst: must be an integer >= 1");
  return { burst: burst as number, intervalMs };
}

/** map checks that v is a mapping with only `allowed` keys (any key when allowed is undefined). */
function map(v: unknown, path: string, allowed: readonly string[] | undefined): Obj {
  if (v === null) return {};
  if (typeof v !== "object" || Array.isArray(v))
    throw new WebConfigError(`${path || "top level"}: expected a mapping`);
  for (const key of Object.keys(v)) {
    if (allowed && !allowed.includes(key))
      throw new WebConfigError(`${path ? `${path}.` : ""}${key}: unknown key`);
  }
  return v as Obj;
}

/** str: a YAML string; an empty value (`key:`) reads as "", as Go's YAML decoder does. */
function str(v: unknown, path: string): string {
  if (v === null) return "";
  if (typeof v !== "string") throw new WebConfigError(`${path}: expected a string`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== "boolean") throw new WebConfigError(`${path}: expected true or false`);
  return v;
}

function strings(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) throw new WebConfigError(`${path}: expected a list`);
  return v.map((item, i) => str(item, `${path}[${i}]`));
}
