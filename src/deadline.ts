import { ErrorCodes, NfpromError } from "./errors.js";
import { cancelTimer } from "./timers.js";

/**
 * beforeDeadline settles as `work` does, or rejects with NFPROM_TIMEOUT at `deadlineAt` (epoch ms) if
 * `work` has not settled by then; `work` itself goes on (the caller abandons what it holds). The one
 * deadline primitive of the reader: the scrapes' waits and the optional sources' cutoff.
 */
export async function beforeDeadline<T>(work: Promise<T>, deadlineAt: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NfpromError(ErrorCodes.TIMEOUT, "read deadline exceeded")),
      Math.max(0, deadlineAt - Date.now()),
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    cancelTimer(timer);
  }
}
