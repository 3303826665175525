import type { Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { ListenAddress } from "../config/config.js";
import { listenerShape, type WebSecurity } from "../webconfig/model.js";
import { BasicAuth } from "./auth.js";
import { TokenBucket } from "./limits.js";
import { createMetricsServer, type Guard, type ServerOptions } from "./server.js";
import { secureContextOptions } from "./tls.js";

/**
 * WebFrontend is the set of servers, one per --web.listen-address, sharing one Guard. apply() swaps a
 * reloaded configuration in place: users, headers, rate limit, and the certificate and key through
 * setSecureContext (new handshakes use them; open connections keep theirs). A change between HTTP and
 * HTTPS or of the client-certificate policy cannot be applied to a listening server: the reader restarts
 * the web process for those, and apply() refuses them.
 */
export class WebFrontend {
  readonly #servers: Server[];
  #guard: Guard;
  #shape: string;

  constructor(
    readonly options: ServerOptions,
    readonly addresses: readonly ListenAddress[],
    security: WebSecurity,
  ) {
    this.#guard = guardOf(security);
    this.#shape = listenerShape(security);
    this.#servers = addresses.map(() => createMetricsServer(options, () => this.#guard));
  }

  get scheme(): "http" | "https" {
    return this.#guard.tls ? "https" : "http";
  }

  /** listen binds every address; rejects with the first address that cannot be bound. */
  async listen(): Promise<string[]> {
    return Promise.all(
      this.#servers.map((server, i) => listenOn(server, this.addresses[i] as ListenAddress)),
    );
  }

  /** apply installs a reloaded configuration; false (nothing changed) when it needs a restart instead. */
  apply(security: WebSecurity): boolean {
    if (listenerShape(security) !== this.#shape) return false;
    const guard = guardOf(security);
    if (guard.tls) {
      for (const server of this.#servers)
        (server as unknown as HttpsServer).setSecureContext(secureContextOptions(guard.tls));
    }
    this.#guard = guard;
    return true;
  }

  close(): void {
    for (const server of this.#servers) {
      server.close();
      server.closeAllConnections();
    }
  }
}

function guardOf(security: WebSecurity): Guard {
  const { burst, intervalMs } = security.rateLimit ?? {};
  return {
    auth: new BasicAuth(security.users),
    headers: security.headers,
    rateLimit: burst && intervalMs ? new TokenBucket(burst, intervalMs) : undefined,
    tls: security.tls,
  };
}

function listenOn(server: Server, address: ListenAddress): Promise<string> {
  const text = `${address.host?.includes(":") ? `[${address.host}]` : (address.host ?? "")}:${address.port}`;
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(Object.assign(err, { address: text }));
    server.once("error", fail);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off("error", fail);
      const bound = server.address();
      resolve(
        typeof bound === "object" && bound
          ? `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`
          : text,
      );
    });
  });
}
