import type { ErrorInfo } from "../errors.js";
import { u64Column, u64Words } from "../model/columns.js";
import type { ReaderStats, Snapshot } from "../model/snapshot.js";
import type { WebSecurity } from "../webconfig/model.js";

/**
 * The whole protocol across the privilege boundary. Messages travel over the IPC channel of
 * child_process.fork with `serialization: "advanced"` (structured clone: bigints survive exactly).
 *
 * web → reader: only "read" — the reader does nothing else for the web process, whatever it sends.
 * reader → web: the answer to one read, matched by id; and the web security settings (TLS material, users,
 * headers), sent at start and after each successful reload of --web.config.file.
 */
export interface ReadRequest {
  type: "read";
  id: number;
  /** How long the web process will wait, in ms; the reader caps it at its own -read-timeout. */
  timeoutMs: number;
}

export type ReadReply =
  | { type: "snapshot"; id: number; snapshot: Snapshot; stats: ReaderStats }
  | { type: "error"; id: number; error: ErrorInfo; stats: ReaderStats };

/**
 * On the wire a snapshot travels nearly as it is: its large sections are columns already
 * (model/rule-columns.ts, model/source-columns.ts), which the web process works on directly, less the
 * columns it already has. The one change: each 64-bit column (rule, counter and element numbers) travels
 * as its 32-bit words. Node's IPC deserializer gives a Uint32Array as a view of the message it received,
 * but builds a BigUint64Array value by value: 100k rules' numbers took ~11 ms of every scrape.
 */
type Words<T extends { numbers: BigUint64Array }> = Omit<T, "numbers"> & { numbers: Uint32Array };

export type WireSnapshot = Omit<Snapshot, "rules" | "counters" | "sets"> & {
  rules: Words<Snapshot["rules"]>;
  counters?: Words<NonNullable<Snapshot["counters"]>>;
  sets?: Words<NonNullable<Snapshot["sets"]>[number]>[];
  /** Columns left out because the web process has them from the last reply (see elision.ts). */
  elided?: string[];
};
export type WireReadReply =
  | { type: "snapshot"; id: number; snapshot: WireSnapshot; stats: ReaderStats }
  | { type: "error"; id: number; error: ErrorInfo; stats: ReaderStats };

/** toWire prepares a reply for the IPC channel. */
export function toWire(reply: ReadReply): WireReadReply {
  if (reply.type !== "snapshot") return reply;
  return { ...reply, snapshot: toWireSnapshot(reply.snapshot) };
}

export function toWireSnapshot(snapshot: Snapshot): WireSnapshot {
  // Shallow copies of the column holders: elision (elision.ts) empties columns of the wire form in place,
  // and the snapshot itself may be answered again (stale serving, the JSON file).
  const { counters, sets, rules, ...rest } = snapshot;
  const wire: WireSnapshot = { ...rest, rules: { ...rules, numbers: u64Words(rules.numbers) } };
  if (counters) wire.counters = { ...counters, numbers: u64Words(counters.numbers) };
  if (sets) wire.sets = sets.map((set) => ({ ...set, numbers: u64Words(set.numbers) }));
  return wire;
}

/** fromWire turns a reply as received (after elision.ts restored its columns) back into a ReadReply. */
export function fromWire(reply: WireReadReply): ReadReply {
  if (reply.type !== "snapshot") return reply;
  return { ...reply, snapshot: fromWireSnapshot(reply.snapshot) };
}

export function fromWireSnapshot(wire: WireSnapshot): Snapshot {
  const { counters, sets, rules, elided: _, ...rest } = wire;
  const snapshot: Snapshot = { ...rest, rules: { ...rules, numbers: u64Column(rules.numbers) } };
  if (counters) snapshot.counters = { ...counters, numbers: u64Column(counters.numbers) };
  if (sets) snapshot.sets = sets.map((set) => ({ ...set, numbers: u64Column(set.numbers) }));
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

/**
 * parseReadRequest accepts exactly a well-formed ReadRequest and nothing else (undefined), so a
 * compromised web process cannot smuggle anything into the privileged reader.
 */
export function parseReadRequest(msg: unknown): ReadRequest | undefined {
  if (typeof msg !== "object" || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  if (Object.keys(m).length !== 3 || m.type !== "read") return undefined;
  const { id, timeoutMs } = m;
  if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= MAX_ID) return undefined;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) return undefined;
  return { type: "read", id: id as number, timeoutMs };
}
