import { writeFileAtomically } from "../atomic-write.js";
import { type Config, policyOptions } from "../config/config.js";
import { ErrorCodes, NfpromError, toErrorInfo } from "../errors.js";
import type { ReadReply, ReadRequest, WebConfigMessage } from "../ipc/protocol.js";
import { encodeWebConfig, type WebConfig } from "../ipc/web-config.js";
import { Logger } from "../log.js";
import { collectGarbageIfGrown } from "../memory.js";
import {
  CAP_CHOWN,
  CAP_KILL,
  CAP_NET_ADMIN,
  CAP_SETGID,
  CAP_SETUID,
  resolveId,
  restrictCapabilities,
} from "../privileges/caps.js";
import { snapshotJson } from "./jsonfile.js";
import { netnsCapabilities } from "./namespaces.js";
import { createChainReader, FatalError, type Reader, readReply, requireNetAdmin } from "./setup.js";
import type { WebChannel } from "./web-channel.js";
import { checkWebEntry } from "./web-preflight.js";
import { WebProcess } from "./web-process.js";
import { WebSecuritySource } from "./web-security.js";

export { FatalError } from "./setup.js";

/** About how long the web process takes to answer a scrape of 100k series once it has the reply. */
const AFTER_SCRAPE_MS = 300;

/**
 * runReader is the privileged process: it holds CAP_NET_ADMIN, reads the chain when the web process asks,
 * optionally writes the JSON file, and supervises the web process. Throws FatalError when it cannot run.
 */
export async function runReader(config: Config): Promise<void> {
  const log = new Logger(config.logLevel, "reader", config.logFormat);
  requireNetAdmin(config);
  if (config.jsonfile && config.netns.length > 0) {
    throw new FatalError("-jsonfile writes one namespace's snapshot: it cannot be combined with -netns");
  }
  // Read at start, before capabilities shrink: a bad file ends nfprom here (WebConfigError, exit 2).
  const security = new WebSecuritySource(config.webConfigFile, log);
  await security.load();
  const identity = webIdentity(config, log);
  checkWebEntry();
  if (identity) {
    // Root: keep what reading and supervising need, drop the rest of root's capabilities.
    restrictCapabilities([
      CAP_NET_ADMIN,
      CAP_SETUID,
      CAP_SETGID,
      CAP_KILL,
      CAP_CHOWN,
      ...netnsCapabilities(config.netns),
    ]);
  }

  const reader = createChainReader(config);
  await probe(reader, config, log);

  const jsonGid = identity?.gid;
  const answer = (channel: WebChannel, reply: ReadReply) => {
    channel.answer(reply, (err) => {
      if (err) log.debug("reply not delivered", { err: err.message });
      // What the read allocated is garbage now (see memory.ts), but the scrape is not over: the web process
      // renders and compresses it on both cores. Collecting right away held the reply back (a large one
      // takes several writes: ~27 ms of a 100k-element scrape went by between two of them) or, once it
      // was written, took a core from the web process. So the collection waits until the scrape is done.
      collectGarbageIfGrown(AFTER_SCRAPE_MS);
    });
  };
  const onRead = (channel: WebChannel, req: ReadRequest) => {
    readReply(reader, req.id, Date.now() + Math.min(req.timeoutMs, config.readTimeoutMs)).then((reply) => {
      if (reply.type === "snapshot" && config.jsonfile) {
        writeJson(config.jsonfile, snapshotJson(reply.snapshot), jsonGid, log);
      }
      if (reply.type === "error") {
        log.warnRepeated("read failed", "read failed", { code: reply.error.code, err: reply.error.message });
      }
      answer(channel, reply);
    });
  };

  const webConfig: WebConfig = {
    listen: config.listen,
    telemetryPath: config.telemetryPath,
    maxRequests: config.maxRequests,
    namespace: config.namespace,
    headerTimeoutMs: config.headerTimeoutMs,
    readTimeoutMs: config.readTimeoutMs,
    logLevel: config.logLevel,
    logFormat: config.logFormat,
    policy: policyOptions(config),
    refuseRoot: true,
    identity,
    mayAuthenticate: config.webConfigFile !== undefined,
  };
  await new Promise<void>((resolve, reject) => {
    const web = new WebProcess({
      configJson: encodeWebConfig(webConfig),
      onRead,
      onSpawn: (channel) => channel.sendConfig(webConfigMessage(security)),
      onFatal: () => {
        reader.close();
        reject(new FatalError("the web process cannot run (see its log line above)"));
      },
      log,
    });
    const shutdown = (signal: string) => {
      log.info("shutting down", { signal });
      web.stop().then(() => {
        reader.close();
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGHUP", () => {
      const outcome = security.reload();
      if (outcome === "restart") web.restart();
      else if (outcome === "unchanged-shape") web.send(webConfigMessage(security));
    });
    web.start();
  });
}

/** probe reads once at start: no privileges is fatal, a missing chain is only reported. */
async function probe(reader: Reader, config: Config, log: Logger): Promise<void> {
  try {
    const read = await reader.read(Date.now() + config.readTimeoutMs);
    if (Array.isArray(read)) {
      const failed = read.filter((r) => "error" in r).map((r) => r.netns);
      log.info("network namespaces read", { netns: read.length, failed: failed.join(" ") || undefined });
      return;
    }
    const snapshot = read;
    const where =
      config.chainPatterns.length > 0
        ? { chains: config.chainPatterns.map((p) => p.text).join(" ") }
        : { family: config.family, table: config.table, chain: config.chain };
    log.info("chain read", {
      ...where,
      rules: snapshot.rules.count,
      sources: snapshot.sources?.map((s) => `${s.name}=${s.ok ? "ok" : "failed"}`).join(" "),
      ms: snapshot.readDurationMs,
    });
  } catch (err) {
    if (err instanceof NfpromError && err.code === ErrorCodes.EPERM) throw new FatalError(err.message);
    log.warn("chain not readable yet; scrapes report nfprom_up 0 until it is", {
      err: toErrorInfo(err).message,
    });
  }
}

/**
 * webIdentity decides who the web process runs as. As root: -u/-g (never root itself). Otherwise the
 * reader cannot switch users; the web process keeps the reader's uid and drops every capability.
 */
function webIdentity(config: Config, log: Logger): { uid: number; gid: number } | undefined {
  if (process.geteuid?.() !== 0) {
    log.info("not root: the web process runs as this user without capabilities; -u/-g are not applied", {
      uid: process.geteuid?.(),
    });
    return undefined;
  }
  let uid: number;
  let gid: number;
  try {
    uid = resolveId("user", config.user);
    gid = resolveId("group", config.group);
  } catch (err) {
    throw new FatalError((err as Error).message);
  }
  if (uid === 0)
    throw new FatalError("refusing to run the web process as root (-u); pick an unprivileged user");
  return { uid, gid };
}

/** Mode of the -jsonfile: its group (-g) may read it. */
const JSONFILE_MODE = 0o640;

function writeJson(path: string, content: string, gid: number | undefined, log: Logger): void {
  try {
    writeFileAtomically(path, content, { mode: JSONFILE_MODE, gid });
  } catch (err) {
    log.errorRepeated("jsonfile", "cannot write the JSON file", { path, err: (err as Error).message });
  }
}

function webConfigMessage(source: WebSecuritySource): WebConfigMessage {
  return { type: "web-config", security: source.current };
}
