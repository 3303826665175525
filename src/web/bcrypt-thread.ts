import { Worker } from "node:worker_threads";

const WORKER = new URL("./bcrypt-worker.js", import.meta.url);

/**
 * BcryptThread compares passwords with bcrypt hashes on one worker thread, started on first use: a
 * comparison costs ~0.1–0.2 s of CPU at cost 10, and on the event loop (bcryptjs' async variant runs
 * there in 100 ms slices) a flood of wrong passwords delayed every request, cached or not, by seconds.
 * One thread: bcrypt takes at most one core whatever the flood. A failed or exited thread answers
 * false to the comparisons it had and is started again by the next one.
 */
export class BcryptThread {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #waiting = new Map<number, (ok: boolean) => void>();

  /**
   * prestart starts the thread now: the web process calls it before it switches to the web user, whose
   * rights may not reach nfprom's install directory (a thread reads its code from there when it starts).
   */
  prestart(): void {
    this.#worker ??= this.#start();
  }

  compare = (password: string, hash: string): Promise<boolean> => {
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    // Referenced while a comparison waits, so that the process lives to hear the answer; idle, the thread
    // keeps no process alive.
    if (this.#waiting.size === 0) worker.ref();
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ id, password, hash });
    });
  };

  #start(): Worker {
    const worker = new Worker(WORKER);
    worker.on("message", (msg: { id: number; ok: boolean }) => {
      this.#waiting.get(msg.id)?.(msg.ok);
      this.#waiting.delete(msg.id);
      if (this.#waiting.size === 0) worker.unref();
    });
    const fail = () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      for (const resolve of this.#waiting.values()) resolve(false);
      this.#waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    worker.unref(); // after the listeners: adding one refs the thread again
    this.#worker = worker;
    return worker;
  }
}

/** The web process's one bcrypt thread, shared by the configurations a reload swaps. */
export const bcryptThread = new BcryptThread();
