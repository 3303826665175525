import { parentPort } from "node:worker_threads";
import bcrypt from "bcryptjs";

/**
 * The thread that runs bcrypt for the web process (see bcrypt-thread.ts): one comparison at a time,
 * synchronously, so the web process's event loop never runs a round of it.
 */
parentPort?.on("message", (msg: { id: number; password: string; hash: string }) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(msg.password, msg.hash);
  } catch {
    // A malformed hash matches nothing.
  }
  parentPort?.postMessage({ id: msg.id, ok });
});
