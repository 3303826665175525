import { libc } from "../libc.js";
import { V8_MEMORY_OPTIONS } from "../memory.js";

const execv = libc.func("int execv(const char *path, const char **argv)");
const fcntl = libc.func("int fcntl(int fd, int cmd, ...)");
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;

/**
 * withReaderOptions replaces this process (same pid: systemd and supervisors see nothing) by the same
 * node and arguments with V8_MEMORY_OPTIONS added, unless it already has them. Node marks stdin, stdout
 * and stderr close-on-exec and may have set them non-blocking; both are undone first, so the new image
 * logs where this one would have. Returns only when the options are already in effect or execv failed
 * (then the reader runs without them).
 */
export function withReaderOptions(): void {
  if (V8_MEMORY_OPTIONS.every((o) => process.execArgv.includes(o))) return;
  for (const fd of [0, 1, 2]) {
    const fdFlags = fcntl(fd, F_GETFD) as number;
    if (fdFlags >= 0) fcntl(fd, F_SETFD, "int", fdFlags & ~FD_CLOEXEC);
    const flFlags = fcntl(fd, F_GETFL) as number;
    if (flFlags >= 0) fcntl(fd, F_SETFL, "int", flFlags & ~O_NONBLOCK);
  }
  const argv = [process.execPath, ...process.execArgv, ...V8_MEMORY_OPTIONS, ...process.argv.slice(1)];
  execv(process.execPath, [...argv, null]);
}
