import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { fs } from "./builtins.js";

/** The file operations writeFileAtomically uses; tests substitute failing ones. */
export interface AtomicIo {
  openSync(path: string, flags: string, mode: number): number;
  fchmodSync(fd: number, mode: number): void;
  fchownSync(fd: number, uid: number, gid: number): void;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

export const NODE_IO: AtomicIo = fs;

export interface AtomicOptions {
  /** Permission bits, applied whatever the umask. */
  mode: number;
  /** Group of the file when given (fchown). */
  gid?: number | undefined;
}

/**
 * writeFileAtomically writes a temporary file beside `path`, syncs its data and renames it over `path`,
 * so a reader of `path` sees the old content or the whole new one, never a truncated or torn file (a
 * full file system, a directory planted at `path`, a crash). Every write is checked for its length and
 * continued until all bytes are on disk; on any failure the temporary file is removed and the error
 * thrown, and `path` is left as it was.
 */
export function writeFileAtomically(
  path: string,
  content: string | Uint8Array,
  options: AtomicOptions,
  io: AtomicIo = NODE_IO,
): void {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  // An unpredictable name opened with O_CREAT|O_EXCL ("wx"): whoever can write to the directory cannot
  // plant a symlink there that would make the privileged reader write to (and chown) another file.
  const tmp = `${path}.tmp-${randomBytes(8).toString("hex")}`;
  const fd = io.openSync(tmp, "wx", options.mode);
  let open = true;
  try {
    io.fchmodSync(fd, options.mode);
    if (options.gid !== undefined) io.fchownSync(fd, -1, options.gid);
    writeAll(io, fd, bytes);
    io.fsyncSync(fd);
    open = false;
    io.closeSync(fd);
    io.renameSync(tmp, path);
  } catch (err) {
    if (open) closeQuietly(io, fd);
    removeQuietly(io, tmp);
    throw err;
  }
  syncDirectory(dirname(path));
}

/** writeAll repeats short writes (a full file system may take part of a buffer) until every byte is written. */
function writeAll(io: AtomicIo, fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    const n = io.writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw new Error(`write made no progress at byte ${done} of ${bytes.length}`);
    done += n;
  }
}

function closeQuietly(io: AtomicIo, fd: number): void {
  try {
    io.closeSync(fd);
  } catch {
    // The write already failed; that error is the one to report.
  }
}

function removeQuietly(io: AtomicIo, path: string): void {
  try {
    io.unlinkSync(path);
  } catch {
    // Gone already, or the directory itself went away.
  }
}

/** syncDirectory makes the rename itself durable; best effort (some file systems refuse fsync on a directory). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // The new file is in place either way; only its durability across a crash is at stake.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
