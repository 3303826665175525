/**
 * Node arms the process's one OS timer for the earliest expiry it has been given, and leaves it armed when
 * that timer is cleared: a deadline that never fired still wakes the process once, later, to find nothing
 * due. Every scrape clears several (the read deadline, the wait for the reader's reply, a connection's
 * request timer), and between scrapes 15 s apart each such wake-up costs ~3 ms of CPU, the code having
 * gone cold by then (docs/design-notes.md). A 1 ms timer makes Node look at its timers again while the
 * process is still awake, and re-arm the OS timer for what is really due, or for nothing.
 */
let rearming = false;

/** rearmTimers has Node re-arm its OS timer within a millisecond (at most one such timer pending). */
function rearmTimers(): void {
  if (rearming) return;
  rearming = true;
  setTimeout(() => {
    rearming = false;
  }, 1).unref();
}

/** cancelTimer is clearTimeout without the wake-up at the cleared timer's expiry. */
export function cancelTimer(timer: NodeJS.Timeout | undefined): void {
  if (timer === undefined) return;
  clearTimeout(timer);
  rearmTimers();
}
