/**
 * Optional phase timing for the end-to-end benchmark (BENCH_PHASES=1). The driver starts the exporter with
 * NODE_OPTIONS="--import <this file>" and BENCH_PHASES_DIR; the web process inherits both. Nothing in src/
 * changes: the hook wraps Node's own entry points that the link between the processes (a socketpair,
 * src/ipc/framing.ts) and HTTP go through, and timestamps them (ms of CLOCK_MONOTONIC, comparable across
 * processes):
 *
 *   reader: reqRecv   (net.Socket 'data': the web's read request arrived)
 *           replySend / replySent (v8.serialize(reply) called / socket.uncork(): the frame handed to the kernel)
 *   web:    httpReq   (http.Server 'request')        reqSend (cork of fd 3: read request to the reader)
 *           replyRecv (v8.deserialize: reply deserialised)
 *           endCall / endRet (ServerResponse.end: body handed to the socket)
 *
 * Events go to BENCH_PHASES_DIR/<role>-<pid>.jsonl, flushed after the last event of each scrape (setImmediate,
 * off the measured path as far as possible).
 */
import { appendFileSync } from "node:fs";
import http from "node:http";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import v8 from "node:v8";

type Fn = (...args: unknown[]) => unknown;

const dir = process.env.BENCH_PHASES_DIR;
const role = (process.argv[1] ?? "").endsWith("/web/main.js") ? "web" : "reader";
// CLOCK_MONOTONIC in ms: one clock for every process on the machine (performance.timeOrigin is per process).
const now = () => Number(process.hrtime.bigint()) / 1e6;
let pending: string[] = [];

function record(name: string, flush: boolean): void {
  pending.push(JSON.stringify([name, now()]));
  if (!flush) return;
  setImmediate(() => {
    if (pending.length === 0) return;
    appendFileSync(`${dir}/${role}-${process.pid}.jsonl`, `${pending.join("\n")}\n`);
    pending = [];
  });
}

/** wrap replaces `holder[name]` by a function that records `before` and/or `after` around the original. */
function wrap(holder: object, name: string, before?: () => void, after?: () => void): void {
  const h = holder as Record<string, Fn>;
  const original = h[name] as Fn;
  h[name] = function (this: unknown, ...args: unknown[]) {
    before?.();
    const r = original.apply(this, args);
    after?.();
    return r;
  };
}

const socketProto = net.Socket.prototype as unknown as { emit: Fn };

if (dir && role === "reader") {
  const emit = socketProto.emit;
  socketProto.emit = function (this: unknown, ...args: unknown[]) {
    if (args[0] === "data") record("reqRecv", false);
    return emit.apply(this, args);
  };
  wrap(v8, "serialize", () => record("replySend", false));
  wrap(net.Socket.prototype, "uncork", undefined, () => record("replySent", true));
  syncBuiltinESMExports();
}

if (dir && role === "web") {
  // HTTP responses cork their sockets too: only the link to the reader (fd 3) counts.
  const cork = net.Socket.prototype.cork;
  net.Socket.prototype.cork = function (this: net.Socket) {
    if ((this as unknown as { _handle?: { fd?: number } })._handle?.fd === 3) record("reqSend", false);
    return cork.call(this);
  };
  wrap(v8, "deserialize", undefined, () => record("replyRecv", false));
  syncBuiltinESMExports();
  const server = http.Server.prototype as unknown as { emit: Fn };
  const serverEmit = server.emit;
  server.emit = function (this: unknown, ...args: unknown[]) {
    if (args[0] === "request") record("httpReq", false);
    return serverEmit.apply(this, args);
  };
  const res = http.ServerResponse.prototype as unknown as { end: Fn };
  const end = res.end;
  res.end = function (this: unknown, ...args: unknown[]) {
    record("endCall", false);
    const r = end.apply(this, args);
    record("endRet", true);
    return r;
  };
}
