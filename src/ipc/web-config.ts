import type { ListenAddress } from "../config/config.js";
import { DUPLICATE_POLICIES } from "../labels/duplicates.js";
import type { PolicyOptions } from "../labels/policy.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.js";
import { ProtocolViolation } from "./framing.js";

/**
 * WebConfig is what the reader tells the web process, as JSON in its only argument. The web security
 * settings (TLS keys, users) never go there — argv is world-readable in /proc — but over the socketpair
 * to the reader (ipc/protocol.ts).
 */
export interface WebConfig {
  listen: ListenAddress[];
  telemetryPath: string;
  maxRequests: number;
  namespace: string;
  headerTimeoutMs: number;
  readTimeoutMs: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The label policy's options (-all-rules, -duplicates); derived labels arrive with each snapshot. */
  policy: PolicyOptions;
  /** Exit instead of serving when the process still holds root or any capability. */
  refuseRoot: boolean;
  /**
   * The user and group to switch to once the code is loaded; set when the reader runs as root. The reader
   * starts this process as root so that it loads from an install directory the web user cannot enter.
   */
  identity?: { uid: number; gid: number } | undefined;
  /**
   * A --web.config.file is given, so basic-auth users may appear, at start or at a reload. Without one the
   * bcrypt thread is never started: a second V8 isolate in the process (~4 MiB, and its own collections).
   */
  mayAuthenticate: boolean;
}

/** encodeWebConfig is the web process's only argument. */
export function encodeWebConfig(config: WebConfig): string {
  return JSON.stringify(config);
}

/**
 * decodeWebConfig reads the web process's argument and checks every field, like any message across the
 * boundary: a wrong one throws ProtocolViolation naming it (a mismatched install, or a hand-made start).
 */
export function decodeWebConfig(json: string | undefined): WebConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json ?? "");
  } catch {
    throw new ProtocolViolation("web process configuration: not JSON (it is started by nfprom itself)");
  }
  const c = new Fields(raw, "web process configuration");
  const policy = c.object("policy");
  const identity = c.optionalObject("identity");
  return {
    listen: c.array("listen").map((entry, i) => {
      const l = new Fields(entry, `listen[${i}]`);
      return { host: l.optionalString("host"), port: l.integer("port", 0, 65_535) };
    }),
    telemetryPath: c.string("telemetryPath"),
    maxRequests: c.integer("maxRequests", 0),
    namespace: c.string("namespace"),
    headerTimeoutMs: c.integer("headerTimeoutMs", 1),
    readTimeoutMs: c.integer("readTimeoutMs", 1),
    logLevel: c.oneOf("logLevel", LOG_LEVELS),
    logFormat: c.oneOf("logFormat", LOG_FORMATS),
    policy: {
      allRules: policy.boolean("allRules"),
      duplicates: policy.oneOf("duplicates", DUPLICATE_POLICIES),
      maxLabelNames: policy.integer("maxLabelNames", 0),
      maxLabelValueLength: policy.integer("maxLabelValueLength", 0),
    },
    refuseRoot: c.boolean("refuseRoot"),
    identity: identity && { uid: identity.integer("uid", 0), gid: identity.integer("gid", 0) },
    mayAuthenticate: c.boolean("mayAuthenticate"),
  };
}

/** Fields reads typed fields of one JSON object, throwing ProtocolViolation at the first wrong one. */
class Fields {
  readonly #o: Record<string, unknown>;

  constructor(
    value: unknown,
    readonly where: string,
  ) {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw this.#wrong("", "an object");
    this.#o = value as Record<string, unknown>;
  }

  string(key: string): string {
    const v = this.#o[key];
    if (typeof v !== "string") throw this.#wrong(key, "a string");
    return v;
  }

  optionalString(key: string): string | undefined {
    return this.#o[key] === undefined ? undefined : this.string(key);
  }

  boolean(key: string): boolean {
    const v = this.#o[key];
    if (typeof v !== "boolean") throw this.#wrong(key, "true or false");
    return v;
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.#o[key];
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) {
      throw this.#wrong(key, `an integer from ${min} to ${max}`);
    }
    return v as number;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.#o[key];
    if (!values.includes(v as T)) throw this.#wrong(key, `one of ${values.join(", ")}`);
    return v as T;
  }

  array(key: string): unknown[] {
    const v = this.#o[key];
    if (!Array.isArray(v)) throw this.#wrong(key, "a list");
    return v;
  }

  object(key: string): Fields {
    return new Fields(this.#o[key], `${this.where}.${key}`);
  }

  optionalObject(key: string): Fields | undefined {
    return this.#o[key] === undefined ? undefined : this.object(key);
  }

  #wrong(key: string, what: string): ProtocolViolation {
    return new ProtocolViolation(`${this.where}${key && `.${key}`} must be ${what}`);
  }
}
