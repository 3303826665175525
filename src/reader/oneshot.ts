import { writeFileAtomically } from "../atomic-write.js";
import { type Config, policyOptions } from "../config/config.js";
import type { ReadReply } from "../ipc/protocol.js";
import { Logger } from "../log.js";
import { Scraper } from "../render/scrape.js";
import { createChainReader, type Reader, readReply, requireNetAdmin } from "./setup.js";

/** Mode of a textfile: node_exporter usually runs as its own user and must be able to read it. */
const TEXTFILE_MODE = 0o644;

/**
 * runDump reads the chain once and prints the exposition (text format) to stdout. Returns the exit code:
 * 0 when the read succeeded, 1 when it failed (the exposition then says nfprom_up 0). No web process,
 * no listening socket; needs the same privileges as the reader.
 */
export async function runDump(config: Config): Promise<number> {
  const once = await readOnce(config);
  process.stdout.write(once.text);
  return once.ok ? 0 : 1;
}

/**
 * runTextfile writes the exposition to --output atomically (a temporary file renamed over it, so
 * node_exporter's textfile collector never reads half a file), once or every --interval until
 * SIGTERM/SIGINT. Without --interval returns 1 when the read or the write failed; with it, a failed
 * read is written as nfprom_up 0 and logged, and the loop goes on; it returns 1 when the last write
 * failed (the file on disk is then older than the last read).
 */
export async function runTextfile(config: Config, output: string): Promise<number> {
  requireNetAdmin(config);
  const log = new Logger(config.logLevel, "textfile", config.logFormat);
  const reader = createChainReader(config);
  const scraper = new Scraper(config.namespace, log, undefined, policyOptions(config));
  let written = true;
  const writeOnce = async () => {
    const { text, ok } = await render(reader, scraper, config);
    try {
      writeFileAtomically(output, text, { mode: TEXTFILE_MODE });
      written = true;
    } catch (err) {
      written = false;
      log.errorRepeated("textfile", "cannot write the textfile", {
        path: output,
        err: (err as Error).message,
      });
      return false;
    }
    return ok;
  };
  try {
    if (config.intervalMs === undefined) return (await writeOnce()) ? 0 : 1;
    await loopUntilSignal(writeOnce, config.intervalMs);
    return written ? 0 : 1;
  } finally {
    reader.close();
  }
}

async function readOnce(config: Config): Promise<{ text: string; ok: boolean }> {
  requireNetAdmin(config);
  const reader = createChainReader(config);
  try {
    return await render(
      reader,
      new Scraper(
        config.namespace,
        new Logger(config.logLevel, "dump", config.logFormat),
        undefined,
        policyOptions(config),
      ),
      config,
    );
  } finally {
    reader.close();
  }
}

/** render reads once and renders through the web process's Scraper, so every mode prints the same metrics. */
async function render(
  reader: Reader,
  scraper: Scraper,
  config: Config,
): Promise<{ text: string; ok: boolean }> {
  const started = process.hrtime.bigint();
  const reply = await readReply(reader, 0, Date.now() + config.readTimeoutMs);
  return { text: String(scraper.render(reply, started)), ok: succeeded(reply) };
}

/** succeeded: the read gave data; with -netns, every selected namespace did (none selected is no failure). */
function succeeded(reply: ReadReply): boolean {
  if (reply.type === "namespaces") return reply.namespaces.every((read) => "snapshot" in read);
  return reply.type === "snapshot";
}

/** loopUntilSignal runs `step` now and then every intervalMs (from the start of each step) until a signal. */
async function loopUntilSignal(step: () => Promise<unknown>, intervalMs: number): Promise<void> {
  let wake: (() => void) | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  while (!stopped) {
    const next = Date.now() + intervalMs;
    await step();
    if (stopped) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, next - Date.now()));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
