import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** FixtureRule is one rule as `nft -a list chain` printed it: numbers as decimal strings, null when absent. */
export interface FixtureRule {
  family: string;
  table: string;
  chain: string;
  handle: string;
  bytes: string | null;
  packets: string | null;
  comment: string | null;
}

/** Fixture is one captured exchange with a real kernel (see test/fixtures/*.json). */
export interface Fixture {
  name: string;
  description: string;
  request: {
    type: number;
    flags: number;
    family: number;
    table: string | null;
    chain: string | null;
    seq: number;
    hex: string;
  };
  datagrams: string[];
  rules: FixtureRule[];
}

/**
 * repoRoot walks up from this file to the directory holding package.json, so the helper works both from
 * test/unit/helpers (tsx) and from dist/test/unit/helpers (compiled).
 */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json not found above the test helpers");
    dir = up;
  }
  return dir;
}

const FIXTURE_DIR = path.join(repoRoot(), "test", "fixtures");

/** fixtureNames lists test/fixtures/*.json without the extension, sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

/** loadFixture reads test/fixtures/<name>.json; throws when it is missing or not JSON. */
export function loadFixture(name: string): Fixture {
  const json = JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), "utf8")) as Omit<
    Fixture,
    "name"
  >;
  return { name, ...json };
}

/** datagramsOf decodes the fixture's hex datagrams into Buffers. */
export function datagramsOf(fixture: Fixture): Buffer[] {
  return fixture.datagrams.map((hex) => Buffer.from(hex, "hex"));
}

/** bigOrUndefined turns a fixture's decimal string into a bigint, null into undefined. */
export function bigOrUndefined(s: string | null): bigint | undefined {
  return s === null ? undefined : BigInt(s);
}
