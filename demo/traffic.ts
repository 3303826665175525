import { createSocket } from "node:dgram";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Demo traffic, run inside the demo's network namespace: HTTP requests to a local server over IPv4 and
 * IPv6 loopback on port 8080, and UDP datagrams to port 5353 from three addresses.
 */
async function main(): Promise<void> {
  const server = createServer((_req, res) => res.end("x".repeat(1000)));
  await new Promise<void>((resolve) => server.listen({ host: "::", port: 8080, ipv6Only: false }, resolve));
  const port = (server.address() as AddressInfo).port;
  for (const host of ["127.0.0.1", "[::1]"]) {
    for (let i = 0; i < 20; i++) await (await fetch(`http://${host}:${port}/`)).text();
  }
  server.close();
  server.closeAllConnections();

  // From three loopback addresses (all of 127.0.0.0/8 is local): three elements of the set `senders`.
  for (const from of ["127.0.0.2", "127.0.0.3", "127.0.0.4"]) {
    const udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, from, resolve));
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve, reject) =>
        udp.send(Buffer.alloc(100), 5353, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
      );
    }
    udp.close();
  }
}

await main();
