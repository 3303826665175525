import { fs } from "../builtins.js";
import { FatalError } from "./setup.js";
import { WEB_MAIN } from "./web-process.js";

const { accessSync, constants } = fs;

/**
 * checkWebEntry ends nfprom with one line when the web process's code cannot be loaded (a broken or
 * half-removed install): forking it anyway would only restart a crashing child every few seconds.
 */
export function checkWebEntry(path: string = WEB_MAIN): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new FatalError(`cannot start the web process: ${path} is not readable (${code}); reinstall nfprom`);
  }
}
