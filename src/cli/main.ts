#!/usr/bin/env node
import { FatalError, runReader } from "../reader/main.js";
import { VERSION } from "../version.js";
import { parseArgs, UsageError, usage } from "./flags.js";

/** The nfprom command: parse flags, then run the privileged reader (which starts the web process). */
async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`nfprom: ${err.message}\n${usage()}`);
    return 2;
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
    await runReader(parsed.config);
    return 0;
  } catch (err) {
    if (!(err instanceof FatalError)) throw err;
    process.stderr.write(`nfprom: ${err.message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
