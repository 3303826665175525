import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { type Netns, sleep } from "./harness.js";

/**
 * A real headless browser (Debian's chromium) inside a test namespace, driven over the Chrome DevTools
 * protocol on a pipe (--remote-debugging-pipe: commands on its fd 3, answers on fd 4, each message
 * ending in a NUL byte). A pipe crosses the namespace boundary where a debugging port would not, and it
 * needs no library.
 */
export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--remote-debugging-pipe",
];

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

export class Browser {
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  readonly #listeners: ((msg: Message) => void)[] = [];
  #stderr = "";

  private constructor(
    readonly proc: ChildProcess,
    readonly commands: Writable,
  ) {}

  /** launch starts chromium in `ns` with a fresh profile in a directory the namespace removes. */
  static launch(ns: Netns): Browser {
    const proc = ns.spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${ns.tempDir()}`, "about:blank"], {
      stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    });
    const browser = new Browser(proc, proc.stdio[3] as Writable);
    proc.stderr?.on("data", (d: Buffer) => {
      browser.#stderr = (browser.#stderr + d.toString()).slice(-4000);
    });
    let partial = "";
    (proc.stdio[4] as Readable).on("data", (d: Buffer) => {
      const parts = (partial + d.toString("utf8")).split("\0");
      partial = parts.pop() ?? "";
      for (const part of parts) browser.#receive(JSON.parse(part) as Message);
    });
    proc.once("exit", () => {
      for (const { reject } of browser.#pending.values())
        reject(new Error(`chromium exited\n${browser.#stderr}`));
      browser.#pending.clear();
    });
    return browser;
  }

  #receive(msg: Message): void {
    if (msg.id === undefined) {
      for (const listener of this.#listeners) listener(msg);
      return;
    }
    const waiter = this.#pending.get(msg.id);
    this.#pending.delete(msg.id);
    if (msg.error) waiter?.reject(new Error(msg.error.message));
    else waiter?.resolve(msg.result ?? {});
  }

  /** send one DevTools command (to a page when sessionId is given) and resolve with its result. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.commands.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  /** open makes a page of the given size, sending `headers` with every request it makes. */
  async open(width: number, height: number, headers: Record<string, string> = {}): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, sessionId as string);
    this.#listeners.push((msg) => {
      if (msg.sessionId === sessionId) page.event(msg);
    });
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await page.send(`${domain}.enable`);
    await page.send("Network.setExtraHTTPHeaders", { headers });
    await page.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return page;
  }

  /** close asks chromium to quit and waits up to 5 s for it (the namespace kills it otherwise). */
  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send("Browser.close").catch(() => undefined);
    await Promise.race([once(this.proc, "exit"), sleep(5000)]);
  }
}

export class Page {
  /** Errors the page reported: uncaught exceptions, console errors, blocked resources (CSP), failed loads. */
  readonly errors: string[] = [];

  constructor(
    readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  event(msg: Message): void {
    const p = msg.params ?? {};
    if (msg.method === "Runtime.exceptionThrown") this.errors.push(JSON.stringify(p.exceptionDetails));
    if (msg.method === "Runtime.consoleAPICalled" && p.type === "error")
      this.errors.push(JSON.stringify(p.args));
    const entry = p.entry as { level?: string; text?: string } | undefined;
    if (msg.method === "Log.entryAdded" && entry?.level === "error") this.errors.push(entry.text ?? "");
  }

  async navigate(url: string): Promise<void> {
    const r = await this.send("Page.navigate", { url });
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
  }

  /** evaluate runs `expression` in the page (awaiting a promise) and returns its value as JSON. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  }

  /** screenshot: the whole page as PNG. */
  async screenshot(): Promise<Buffer> {
    const r = await this.send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
    return Buffer.from(r.data as string, "base64");
  }
}
