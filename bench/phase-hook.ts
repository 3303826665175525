/**
 * Optional phase timing for the end-to-end benchmark (BENCH_PHASES=1). The driver starts the exporter with
 * NODE_OPTIONS="--import <this file>" and BENCH_PHASES_DIR; the web process inherits both. Nothing in src/
 * changes: the hook wraps Node's own IPC and HTTP entry points and timestamps them (ms of
 * CLOCK_MONOTONIC, comparable across processes):
 *
 *   reader: reqRecv   (ChildProcess 'message': the web's read request arrived)
 *           replySend / replySent (child.send(reply): before serialisation / after the write was queued)
 *   web:    httpReq   (http.Server 'request')        reqSend (process.send: read request to the reader)
 *           replyRecv (process 'message': reply deserialised)
 *           endCall / endRet (ServerResponse.end: body handed to the socket)
 *
 * Events go to BENCH_PHASES_DIR/<role>-<pid>.jsonl, flushed after the last event of each scrape (setImmediate,
 * off the measured path as far as possible).
 */
import cp from "node:child_process";
import { appendFileSync } from "node:fs";
import http from "node:http";

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

if (dir && role === "reader") {
  const proto = cp.ChildProcess.prototype as unknown as { emit: Fn };
  const emit = proto.emit;
  const wrapped = new WeakSet<object>();
  proto.emit = function (this: { send: Fn }, ...args: unknown[]) {
    if (args[0] === "message") {
      record("reqRecv", false);
      if (!wrapped.has(this)) {
        wrapped.add(this);
        const send = this.send;
        this.send = function (this: unknown, ...a: unknown[]) {
          record("replySend", false);
          const r = send.apply(this, a);
          record("replySent", true);
          return r;
        };
      }
    }
    return emit.apply(this, args);
  };
}

if (dir && role === "web") {
  const procEmit = process.emit as unknown as Fn;
  (process as unknown as { emit: Fn }).emit = function (this: unknown, ...args: unknown[]) {
    if (args[0] === "message") record("replyRecv", false);
    return procEmit.apply(this, args);
  };
  const procSend = process.send as unknown as Fn | undefined;
  if (procSend) {
    (process as unknown as { send: Fn }).send = function (this: unknown, ...args: unknown[]) {
      record("reqSend", false);
      return procSend.apply(process, args);
    };
  }
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
