import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { FRAME_HEADER_BYTES, FrameDecoder, ProtocolViolation, writeFrame } from "../../../src/ipc/framing.js";
import {
  decodeReadRequest,
  encodeReadRequest,
  MAX_REQUEST_FRAME,
  type ReadRequest,
} from "../../../src/ipc/protocol.js";

function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

function collect(maxPayload: number): { decoder: FrameDecoder; frames: Buffer[] } {
  const frames: Buffer[] = [];
  return { decoder: new FrameDecoder(maxPayload, (p) => frames.push(Buffer.from(p))), frames };
}

describe("FrameDecoder", () => {
  const payloads = [Buffer.alloc(0), Buffer.from("a"), Buffer.alloc(300, 7), Buffer.from("last")];
  const stream = Buffer.concat(payloads.map(frame));

  test("cuts a stream into its frames whatever the chunking, including empty frames", () => {
    for (const size of [1, 2, 3, 4, 5, 7, 64, 1000]) {
      const { decoder, frames } = collect(1000);
      for (let at = 0; at < stream.length; at += size) decoder.push(stream.subarray(at, at + size));
      assert.deepEqual(frames, payloads, `chunks of ${size}`);
      assert.equal(decoder.bufferedBytes, 0);
    }
  });

  test("refuses an oversized frame once its header is complete, before buffering its payload", () => {
    const { decoder, frames } = collect(MAX_REQUEST_FRAME);
    decoder.push(Buffer.from("8000", "hex"));
    assert.equal(decoder.bufferedBytes, 2);
    assert.throws(() => decoder.push(Buffer.from("0000ff0f4902", "hex")), ProtocolViolation);
    assert.equal(frames.length, 0);
    assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES);
  });

  test("accepts a frame of exactly the limit, refuses one byte more", () => {
    const ok = collect(MAX_REQUEST_FRAME);
    ok.decoder.push(frame(Buffer.alloc(MAX_REQUEST_FRAME)));
    assert.equal(ok.frames.length, 1);
    assert.throws(
      () => collect(MAX_REQUEST_FRAME).decoder.push(frame(Buffer.alloc(MAX_REQUEST_FRAME + 1))),
      /frame of 65 bytes announced, the limit is 64/,
    );
  });

  test("writeFrame writes what the decoder reads back, in one write of header and payload", async () => {
    const out = new PassThrough();
    const written: Buffer[] = [];
    out.on("data", (c: Buffer) => written.push(c));
    const payload = Buffer.alloc(100_000, 3);
    await new Promise<void>((resolve, reject) =>
      writeFrame(out, payload, (e) => (e ? reject(e) : resolve())),
    );
    const { decoder, frames } = collect(200_000);
    decoder.push(Buffer.concat(written));
    assert.deepEqual(frames, [payload]);
  });
});

/** mulberry32: a small seeded generator, so that a failing input can be reproduced from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("the reader's request decoding, fuzzed", () => {
  const SEED = 16;
  const INPUTS = 200_000;
  const rand = random(SEED);
  const int = (n: number) => Math.floor(rand() * n);
  const validStream = (n: number): { bytes: Buffer; requests: ReadRequest[] } => {
    const requests = Array.from({ length: n }, () => ({
      type: "read" as const,
      id: int(2 ** 31),
      timeoutMs: 1 + int(60_000),
    }));
    return { bytes: Buffer.concat(requests.map((r) => frame(encodeReadRequest(r)))), requests };
  };
  const mutate = (b: Buffer): Buffer => {
    const out = Buffer.from(b);
    switch (int(4)) {
      case 0: // flip bytes
        for (let k = 1 + int(3); k > 0 && out.length > 0; k--) out[int(out.length)] = int(256);
        return out;
      case 1: // truncate
        return out.subarray(0, int(out.length + 1));
      case 2: // insert random bytes
        return Buffer.concat([out.subarray(0, int(out.length + 1)), randomBytes(1 + int(8)), out]);
      default: // a length prefix anywhere, often huge
        out.writeUInt32BE(rand() < 0.5 ? int(2 ** 32) : int(80), Math.max(0, int(out.length - 3)));
        return out;
    }
  };
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

  test(`${INPUTS} random and mutated inputs (seed ${SEED}): only ProtocolViolation, never more than a frame held`, () => {
    const started = Date.now();
    let violations = 0;
    let decoded = 0;
    for (let i = 0; i < INPUTS; i++) {
      const kind = i % 3;
      const valid = validStream(1 + int(3));
      const input = kind === 0 ? valid.bytes : kind === 1 ? mutate(valid.bytes) : randomBytes(int(120));
      const got: ReadRequest[] = [];
      const decoder = new FrameDecoder(MAX_REQUEST_FRAME, (p) => got.push(decodeReadRequest(p)));
      try {
        for (let at = 0; at < input.length; ) {
          const size = 1 + int(input.length);
          decoder.push(input.subarray(at, at + size));
          at += size;
          assert.ok(decoder.bufferedBytes <= FRAME_HEADER_BYTES + MAX_REQUEST_FRAME, `input ${i}`);
        }
      } catch (err) {
        if (!(err instanceof ProtocolViolation)) {
          assert.fail(`input ${i} (seed ${SEED}, ${input.toString("hex")}) threw ${String(err)}`);
        }
        assert.notEqual(kind, 0, `a valid stream was refused: ${input.toString("hex")}`);
        violations++;
      }
      if (kind === 0) assert.deepEqual(got, valid.requests);
      decoded += got.length;
    }
    // Both outcomes occur: the inputs are not all trivially refused.
    assert.ok(violations > INPUTS / 10 && decoded > INPUTS / 3, `${violations} refused, ${decoded} decoded`);
    assert.ok(Date.now() - started < 30_000);
  });
});
