import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import { FRAME_HEADER_BYTES, FrameDecoder } from "../../../src/ipc/framing.js";
import {
  decodeReaderMessage,
  encodeReadRequest,
  MAX_PENDING_READS,
  type ReaderMessage,
  type ReadRequest,
} from "../../../src/ipc/protocol.js";
import { WebChannel } from "../../../src/reader/web-channel.js";
import { NO_STATS, ruleSnapshot } from "../helpers/snapshot.js";

// A real pair of connected Unix sockets: the reader's end (WebChannel) and the web process's end.
const dir = mkdtempSync(join(tmpdir(), "nfprom-channel-"));
const server = createServer();
before(() => new Promise<void>((resolve) => server.listen(join(dir, "sock"), resolve)));
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pair(): Promise<{
  channel: WebChannel;
  web: Socket;
  reads: ReadRequest[];
  violations: string[];
  received: ReaderMessage[];
}> {
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const web = connect(join(dir, "sock"));
  const reads: ReadRequest[] = [];
  const violations: string[] = [];
  const received: ReaderMessage[] = [];
  const channel = new WebChannel(await accepted, {
    onRead: (_, req) => reads.push(req),
    onViolation: (reason) => violations.push(reason),
  });
  const frames = new FrameDecoder(2 ** 31, (p) => received.push(decodeReaderMessage(p)));
  web.on("data", (c: Buffer) => frames.push(c));
  web.on("error", () => {});
  return { channel, web, reads, violations, received };
}

const readFrame = (id: number) => {
  const payload = encodeReadRequest({ type: "read", id, timeoutMs: 1000 });
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
};
const until = async (what: () => boolean) => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(what(), "condition not reached in 1 s");
};

test("reads are passed on; answers travel back; an answered read frees its slot", async () => {
  const { channel, web, reads, violations, received } = await pair();
  web.write(Buffer.concat(Array.from({ length: MAX_PENDING_READS }, (_, i) => readFrame(i))));
  await until(() => reads.length === MAX_PENDING_READS);
  const snapshot = ruleSnapshot(3, () => "nft(a=1)");
  await new Promise((resolve) =>
    channel.answer({ type: "snapshot", id: 0, snapshot, stats: NO_STATS }, resolve),
  );
  web.write(readFrame(9));
  await until(() => reads.length === MAX_PENDING_READS + 1 && received.length === 1);
  assert.deepEqual(violations, []);
  const reply = received[0];
  assert.ok(reply?.type === "snapshot" && reply.id === 0 && reply.snapshot.rules.count === 3);
  web.destroy();
});

const hostile: [string, () => Buffer, RegExp][] = [
  ["the 8 bytes that crashed Node's IPC", () => Buffer.from("80000000ff0f4902", "hex"), /2147483648 bytes/],
  ["a 1 GiB frame announced", () => Buffer.from("40000000", "hex"), /1073741824 bytes/],
  ["JSON", () => Buffer.from('{"type":"read","id":1,"timeoutMs":1000}'), /announced/],
  ["a frame with a bad request", () => Buffer.from("0000000d02000000003ff0000000000000", "hex"), /type 2/],
  [
    "one read more than may be pending",
    () => Buffer.concat(Array.from({ length: MAX_PENDING_READS + 1 }, (_, i) => readFrame(i))),
    /more than 4 reads pending/,
  ],
  [
    "40,000 reads at once",
    () => Buffer.concat(Array.from({ length: 40_000 }, (_, i) => readFrame(i))),
    /more than 4 reads pending/,
  ],
];
for (const [name, bytes, reason] of hostile) {
  test(`a violation stops the channel at once: ${name}`, async () => {
    const { channel, web, reads, violations } = await pair();
    web.write(bytes());
    web.write(readFrame(100)); // never read: the channel is closed
    await until(() => violations.length > 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(violations.length, 1, violations.join("\n"));
    assert.match(violations[0] ?? "", reason);
    assert.ok(reads.length <= MAX_PENDING_READS, `${reads.length} reads passed on`);
    assert.ok(channel.socket.destroyed);
    web.destroy();
  });
}

test("an answer for a web process already gone is dropped quietly", async () => {
  const { channel, web } = await pair();
  web.write(readFrame(1));
  web.destroy();
  await until(() => channel.socket.destroyed || !channel.socket.writable);
  const error = { code: ErrorCodes.TIMEOUT, message: "late" };
  channel.answer({ type: "error", id: 1, error, stats: NO_STATS }, () => {});
});
