import { deserialize, serialize } from "node:v8";
import type { ErrorInfo } from "../errors.js";
import type { NetnsRead, ReaderStats, Snapshot } from "../model/snapshot.js";
import type { Sections } from "../sources/slice.js";
import { SLICES, type WireSections } from "../sources/slices.js";
import type { WebSecurity } from "../webconfig/model.js";
import { ProtocolViolation } from "./framing.js";

/**
 * The whole protocol across the privilege boundary, in frames (framing.ts) on a socketpair.
 *
 * web → reader: only "read", a fixed 13-byte frame the reader decodes by hand (decodeReadRequest) — the
 * reader does nothing else for the web process, whatever it sends, and runs no general-purpose
 * deserializer on its bytes.
 * reader → web: the answer to one read, matched by id; and the web security settings (TLS material, users,
 * headers), sent at start and after each successful reload of --web.config.file. These are V8-serialized
 * (structured clone: bigints and typed arrays survive exactly); the web process trusts the reader.
 */
export interface ReadRequest {
  type: "read";
  id: number;
  /** How long the web process will wait, in ms; the reader caps it at its own -read-timeout. */
  timeoutMs: number;
}

export type ReadReply =
  | { type: "snapshot"; id: number; snapshot: Snapshot; stats: ReaderStats }
  | { type: "error"; id: number; error: ErrorInfo; stats: ReaderStats }
  /** With -netns: one outcome per selected namespace (a read of no namespace at all is not an error). */
  | { type: "namespaces"; id: number; namespaces: NetnsRead[]; stats: ReaderStats };

/**
 * On the wire a snapshot travels nearly as it is: its large sections are columns already
 * (model/rule-columns.ts, model/source-columns.ts), which the web process works on directly, less the
 * columns it already has. The one change: each 64-bit column travels as its 32-bit words (`Words`), each
 * slice's by the slice (src/sources/, the rules' too).
 */
export type WireSnapshot = Omit<Snapshot, keyof Sections> &
  WireSections & {
    /** Columns left out because the web process has them from the last reply (see elision.ts). */
    elided?: string[];
  };
export type WireNetnsRead = { netns: string; snapshot: WireSnapshot } | { netns: string; error: ErrorInfo };
export type WireReadReply =
  | { type: "snapshot"; id: number; snapshot: WireSnapshot; stats: ReaderStats }
  | { type: "error"; id: number; error: ErrorInfo; stats: ReaderStats }
  | { type: "namespaces"; id: number; namespaces: WireNetnsRead[]; stats: ReaderStats };

/** toWire prepares a reply for the link to the web process. */
export function toWire(reply: ReadReply): WireReadReply {
  if (reply.type === "namespaces") {
    const namespaces = reply.namespaces.map((read) =>
      "snapshot" in read ? { ...read, snapshot: toWireSnapshot(read.snapshot) } : read,
    );
    return { ...reply, namespaces };
  }
  if (reply.type !== "snapshot") return reply;
  return { ...reply, snapshot: toWireSnapshot(reply.snapshot) };
}

export function toWireSnapshot(snapshot: Snapshot): WireSnapshot {
  // Shallow copies of the column holders: elision (elision.ts) empties columns of the wire form in place,
  // and the snapshot itself may be answered again (stale serving, the JSON file). Each slice replaces
  // every section it has with its wire form.
  const wire = { ...snapshot } as unknown as WireSnapshot;
  for (const slice of SLICES) slice.toWire(snapshot, wire);
  return wire;
}

/** fromWire turns a reply as received (after elision.ts restored its columns) back into a ReadReply. */
export function fromWire(reply: WireReadReply): ReadReply {
  if (reply.type === "namespaces") {
    const namespaces = reply.namespaces.map((read) =>
      "snapshot" in read ? { ...read, snapshot: fromWireSnapshot(read.snapshot) } : read,
    );
    return { ...reply, namespaces };
  }
  if (reply.type !== "snapshot") return reply;
  return { ...reply, snapshot: fromWireSnapshot(reply.snapshot) };
}

export function fromWireSnapshot(wire: WireSnapshot): Snapshot {
  const { elided: _, ...rest } = wire;
  const snapshot = rest as unknown as Snapshot;
  for (const slice of SLICES) slice.fromWire(wire, snapshot);
  return snapshot;
}

/** WebConfigMessage carries the settings the reader read from --web.config.file (or NO_SECURITY). */
export interface WebConfigMessage {
  type: "web-config";
  security: WebSecurity;
}

/** Everything the reader sends to the web process. */
export type ReaderMessage = WireReadReply | WebConfigMessage;

/** isWebConfigMessage tells the web process's one message handler which kind of message arrived. */
export function isWebConfigMessage(msg: unknown): msg is WebConfigMessage {
  return typeof msg === "object" && msg !== null && (msg as { type?: unknown }).type === "web-config";
}

/** Exit code with which the web process says "restarting me will not help" (bad address, privileges). */
export const WEB_EXIT_FATAL = 3;

const MAX_ID = 2 ** 31;

/** The longest web → reader frame the reader accepts: a read request is 13 bytes; anything longer is hostile. */
export const MAX_REQUEST_FRAME = 64;

/**
 * Reads a web process may have unanswered at once. Its ReaderClient never exceeds it (scrapes beyond it
 * share a pending read's reply); the reader treats one more as a violation. Each unanswered read can hold
 * one reply in the reader's memory, so this bounds what a web process can make the reader keep.
 */
export const MAX_PENDING_READS = 4;

const READ_TAG = 1;
const READ_REQUEST_BYTES = 13;

/** encodeReadRequest lays out a read as [tag 1: u8][id: u32 BE][timeoutMs: f64 BE]. */
export function encodeReadRequest(req: ReadRequest): Buffer {
  const out = Buffer.alloc(READ_REQUEST_BYTES);
  out.writeUInt8(READ_TAG, 0);
  out.writeUInt32BE(req.id, 1);
  out.writeDoubleBE(req.timeoutMs, 5);
  return out;
}

/**
 * decodeReadRequest accepts exactly a well-formed read request and throws ProtocolViolation for anything
 * else, so a compromised web process cannot smuggle anything into the privileged reader.
 */
export function decodeReadRequest(payload: Uint8Array): ReadRequest {
  if (payload.length !== READ_REQUEST_BYTES) {
    throw new ProtocolViolation(`request of ${payload.length} bytes, a read is ${READ_REQUEST_BYTES}`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  const tag = view.getUint8(0);
  if (tag !== READ_TAG) throw new ProtocolViolation(`unknown request type ${tag}`);
  const id = view.getUint32(1);
  if (id >= MAX_ID) throw new ProtocolViolation(`request id ${id} out of range`);
  const timeoutMs = view.getFloat64(5);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ProtocolViolation(`request timeout ${timeoutMs} ms is not a positive number`);
  }
  return { type: "read", id, timeoutMs };
}

/** encodeReaderMessage serializes what the reader sends (a frame's payload). */
export function encodeReaderMessage(msg: ReaderMessage): Buffer {
  return serialize(msg);
}

/** decodeReaderMessage is the web side's: it trusts the reader, so V8's deserializer is fine here. */
export function decodeReaderMessage(payload: Buffer): ReaderMessage {
  return deserialize(payload) as ReaderMessage;
}
