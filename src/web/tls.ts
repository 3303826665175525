import type { SecureContextOptions, TLSSocket, TlsOptions } from "node:tls";
import type { TlsSettings } from "../webconfig/model.js";

export type TlsMaterial = TlsSettings<string>;

/** secureContextOptions: the part of the settings that server.setSecureContext can swap in place. */
export function secureContextOptions(t: TlsMaterial): SecureContextOptions {
  return {
    cert: t.cert,
    key: t.key,
    ...(t.clientCa ? { ca: t.clientCa } : {}),
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ...(t.ciphers ? { ciphers: t.ciphers } : {}),
    ...(t.curves ? { ecdhCurve: t.curves } : {}),
    honorCipherOrder: t.honorCipherOrder,
  };
}

/**
 * tlsServerOptions maps client_auth_type onto OpenSSL's two switches. Only RequireAndVerifyClientCert can
 * be enforced in the handshake (rejectUnauthorized); the other policies request a certificate and are
 * checked right after the handshake by peerProblem.
 */
export function tlsServerOptions(t: TlsMaterial, handshakeTimeoutMs: number): TlsOptions {
  return {
    ...secureContextOptions(t),
    requestCert: t.clientAuth !== "NoClientCert",
    rejectUnauthorized: t.clientAuth === "RequireAndVerifyClientCert",
    handshakeTimeout: handshakeTimeoutMs,
    ALPNProtocols: ["http/1.1"],
  };
}

/** peerProblem says why a client that completed the handshake must be dropped, or undefined. */
export function peerProblem(socket: TLSSocket, t: TlsMaterial): string | undefined {
  const cert = t.clientAuth === "NoClientCert" ? undefined : socket.getPeerCertificate();
  const presented = cert !== undefined && Object.keys(cert).length > 0;
  if (t.clientAuth === "RequireAnyClientCert" && !presented) return "no client certificate";
  if (t.clientAuth === "VerifyClientCertIfGiven" && presented && !socket.authorized) {
    return `client certificate not trusted: ${String(socket.authorizationError)}`;
  }
  if (t.clientAllowedSans) {
    const sans = presented ? subjectAltNames(cert.subjectaltname) : [];
    if (!sans.some((s) => t.clientAllowedSans?.includes(s))) return "client certificate has no allowed SAN";
  }
  return undefined;
}

/** subjectAltNames turns OpenSSL's `DNS:a, IP Address:1.2.3.4, email:x, URI:y` into bare values. */
function subjectAltNames(text: string | undefined): string[] {
  if (!text) return [];
  return text.split(", ").map((entry) => entry.slice(entry.indexOf(":") + 1));
}
