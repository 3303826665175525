import { createRequire } from "node:module";

/**
 * Built-ins that cost memory as ES module imports: Node makes a built-in's module namespace by reading
 * every export, lazy getters included, so `import … from "node:http"` loads undici for http.WebSocket
 * (Node 24: ~13 MiB per process) and node:fs or node:util load fs/promises, readline and more (~2.5 MiB
 * each). require() loads only what the code uses. Their types come from `import type`.
 */
const load = createRequire(import.meta.url);

export const fs = load("node:fs") as typeof import("node:fs");
export const util = load("node:util") as typeof import("node:util");
/** On first use: only the web process serves HTTP, and it needs https and TLS only with tls_server_config. */
export const http = () => load("node:http") as typeof import("node:http");
export const https = () => load("node:https") as typeof import("node:https");
export const tls = () => load("node:tls") as typeof import("node:tls");
