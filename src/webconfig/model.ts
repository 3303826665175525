/**
 * The web security settings: what `--web.config.file` (exporter-toolkit format) decides. The privileged
 * reader reads and validates the file and every file it names, and sends a WebSecurity with the PEM
 * contents to the web process, which never needs read access to the private key.
 */

/** client_auth_type values, as in Go's crypto/tls and the exporter-toolkit. */
export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Node's names of the TLS versions (tls.SecureVersion). */
export type TlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** TlsSettings<P>: P is where a PEM comes from while parsing (PemSource), or its contents once loaded. */
export interface TlsSettings<P> {
  cert: P;
  key: P;
  clientCa: P | undefined;
  clientAuth: ClientAuthType;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** OpenSSL cipher list for TLS <= 1.2; undefined: Node's defaults. */
  ciphers: string | undefined;
  /** OpenSSL curve list (Node's ecdhCurve); undefined: Node's defaults. */
  curves: string | undefined;
  honorCipherOrder: boolean;
  /** A client certificate must carry one of these SANs; undefined: no SAN check. */
  clientAllowedSans: string[] | undefined;
}

/** PemSource: a file (absolute, resolved against the config file's directory) or inline text. */
export type PemSource = { file: string; key: string } | { inline: string; key: string };

export interface RateLimit {
  burst: number;
  intervalMs: number;
}

interface SecurityBase<P> {
  tls: TlsSettings<P> | undefined;
  /** basic_auth_users: user name → bcrypt hash; empty: no authentication. */
  users: Record<string, string>;
  /** http_server_config.headers, added to every response. */
  headers: Record<string, string>;
  rateLimit: RateLimit | undefined;
}

/** WebConfigSpec is the parsed file, before the files it names are read. */
export type WebConfigSpec = SecurityBase<PemSource>;

/** WebSecurity is what the web process applies; `source` names the file for its log lines. */
export interface WebSecurity extends SecurityBase<string> {
  source: string | undefined;
}

/** NO_SECURITY: plain HTTP, no authentication (no --web.config.file). */
export const NO_SECURITY: WebSecurity = {
  source: undefined,
  tls: undefined,
  users: {},
  headers: {},
  rateLimit: undefined,
};

/**
 * listenerShape names what a running server cannot change in place: HTTP versus HTTPS, and whether the
 * TLS handshake asks for a client certificate. A reload that changes it restarts the web process.
 */
export function listenerShape(s: WebSecurity): string {
  return s.tls ? `https/${s.tls.clientAuth}` : "http";
}

/**
 * WebConfigError: the web config file is unusable. The message names the file and the offending key
 * (`tls_server_config.min_version: ...`); at start the CLI prints it and exits 2, at reload the reader
 * logs it and keeps the configuration it has.
 */
export class WebConfigError extends Error {
  override readonly name = "WebConfigError";
}
