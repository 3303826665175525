// A compromised web process, for security-boundary.test.ts only. That test puts this module in place of
// web/main.js in a copy of dist/src and the original beside it as main-real.js: the reader starts it as
// its web process (as nobody, without capabilities), it runs the real web process, and on SIGUSR2 it
// writes the attack named in the file `attack` next to it straight to fd 3, its link to the reader.
import { readFileSync, writeSync } from "node:fs";
import { serialize } from "node:v8";

const READER_FD = 3;
const MiB = 1024 * 1024;

function framed(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

function readRequest(id: number): Buffer {
  const payload = Buffer.alloc(13);
  payload.writeUInt8(1, 0);
  payload.writeUInt32BE(id, 1);
  payload.writeDoubleBE(1000, 5);
  return framed(payload);
}

/** A seeded byte sequence: the same garbage on every run. */
function garbage(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Each attack: the chunks to write, produced lazily (the 400 MB one is never held at once). */
const ATTACKS: Record<string, () => Iterable<Buffer>> = {
  // What made Node's IPC deserializer throw in the reader: a length prefix, then a V8 header.
  "ipc-bytes": () => [Buffer.from("80000000ff0f4902", "hex")],
  // What Node's IPC channel took as an internal message, written as Node would have.
  "node-handle-ack": () => [framed(serialize({ cmd: "NODE_HANDLE_ACK" }))],
  "deep-nesting": () => [framed(Buffer.from(`${"[".repeat(200_000)}${"]".repeat(200_000)}`))],
  "huge-frame": function* () {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * MiB, 0);
    yield header;
    const chunk = Buffer.alloc(MiB, 0x41);
    for (let i = 0; i < 400; i++) yield chunk;
  },
  "read-flood": () => [Buffer.concat(Array.from({ length: 40_000 }, (_, i) => readRequest(i)))],
  garbage: () => [garbage(64 * 1024)],
};

async function play(name: string): Promise<void> {
  const attack = ATTACKS[name];
  if (!attack) throw new Error(`no attack ${name}`);
  let sent = 0;
  for (const chunk of attack()) {
    for (let at = 0; at < chunk.length; ) {
      try {
        at += writeSync(READER_FD, chunk, at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") {
          process.stderr.write(`hostile web: ${name} stopped after ${sent + at} bytes: ${String(err)}\n`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    sent += chunk.length;
  }
  process.stderr.write(`hostile web: ${name} sent ${sent} bytes\n`);
}

process.on("SIGUSR2", () => {
  void play(readFileSync(new URL("./attack", import.meta.url), "utf8").trim());
});
await import(new URL("./main-real.js", import.meta.url).href);
