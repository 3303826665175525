/**
 * Every failure nfprom can report about the kernel, the ruleset or its own processes carries one of these
 * stable codes. Only `{code, message}` crosses to the web process (class identity does not survive
 * serialisation), so the code, not the class, is the contract; `reason` labels in metrics use it too.
 */
export const ErrorCodes = {
  EPERM: "NFPROM_EPERM",
  NO_TABLE: "NFPROM_NO_TABLE",
  DUMP_INTR: "NFPROM_DUMP_INTR",
  /** The ruleset generation moved during a read: it cannot be proven whole (nftables/generation.ts). */
  RULESET_CHANGED: "NFPROM_RULESET_CHANGED",
  DECODE: "NFPROM_DECODE",
  TIMEOUT: "NFPROM_TIMEOUT",
  NETLINK: "NFPROM_NETLINK",
  SOCKET: "NFPROM_SOCKET",
  READER_GONE: "NFPROM_READER_GONE",
  /** A bug in nfprom itself, not a condition of the kernel or the ruleset. */
  INTERNAL: "NFPROM_INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** NfpromError is the one error type nfprom throws for conditions outside its own control. */
export class NfpromError extends Error {
  override readonly name = "NfpromError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errno?: number,
  ) {
    super(message);
  }
}

/** The serialisable shape of an error, as sent to the web process and logged. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
}

/** toErrorInfo keeps the code of an NfpromError; anything else is a bug and is reported as such. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof NfpromError) return { code: err.code, message: err.message };
  return {
    code: ErrorCodes.INTERNAL,
    message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
  };
}
