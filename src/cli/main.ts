#!/usr/bin/env node
import { runCheck } from "../check/main.js";
import type { Config } from "../config/config.js";
import { FatalError, runReader } from "../reader/main.js";
import { runDump, runTextfile } from "../reader/oneshot.js";
import { VERSION } from "../version.js";
import { WebConfigError } from "../webconfig/model.js";
import { type Command, helpHint, parseArgs, UsageError, usage } from "./flags.js";
import { withReaderOptions } from "./reexec.js";

/** The nfprom command: parse flags, then run the privileged reader (which starts the web process). */
async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usageError(err.message, err.command);
  }
  if (parsed.kind === "help") {
    process.stdout.write(usage(parsed.command));
    return 0;
  }
  if (parsed.kind === "version") {
    process.stdout.write(`nfprom ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  try {
    return await run(parsed.command, parsed.config);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message, parsed.command);
    // A bad --web.config.file is a configuration error like a bad flag: exit 2, restarting will not help.
    if (err instanceof WebConfigError) {
      process.stderr.write(`nfprom: ${err.message}\n`);
      return 2;
    }
    if (!(err instanceof FatalError)) throw err;
    process.stderr.write(`nfprom: ${err.message}\n`);
    return 1;
  }
}

/** usageError prints a bad command line's one-line reason and where its help is; exit status 2. */
function usageError(message: string, command: Command): number {
  process.stderr.write(`nfprom: ${message}\n${helpHint(command)}\n`);
  return 2;
}

/** run starts the mode the command names; resolves with the exit code. */
async function run(command: Command, config: Config): Promise<number> {
  switch (command) {
    case "serve":
      withReaderOptions();
      await runReader(config);
      return 0;
    case "dump":
      return runDump(config);
    case "textfile":
      if (config.output === undefined) throw new UsageError("textfile needs -output FILE");
      return runTextfile(config, config.output);
    case "check":
      return runCheck(config);
  }
}

// Exit once stdout is flushed: a large report (`check` over thousands of rules) written to a pipe is
// still queued when main resolves, and process.exit would cut it.
main(process.argv.slice(2)).then((code) => process.stdout.write("", () => process.exit(code)));
