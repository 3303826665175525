import { fs } from "./builtins.js";

/** VERSION is package.json's version (dist/src/version.js → ../../package.json). */
export const VERSION: string = (
  JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
