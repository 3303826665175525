import { FAMILIES } from "./families.js";

/**
 * NamePattern selects nftables chains, objects or sets by `[family/]table/name`, where table and name
 * are globs (`*` any run of characters, `?` one character) and family is a family name or `*`.
 * Examples: `firewall/accounting*`, `inet/*\/ssh_*`, `ip6/filter/clients`.
 */
export interface NamePattern {
  /** NFPROTO_* number, or undefined for any family. */
  family: number | undefined;
  table: (table: string) => boolean;
  name: (name: string) => boolean;
  /** The pattern as given, for logs. */
  text: string;
  /** True when it can only ever match one name in one table of one family. */
  literal: boolean;
}

/** parsePattern reads `[family/]table/name`; throws an Error saying what is wrong. */
export function parsePattern(text: string): NamePattern {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3) throw new Error("expected [family/]table/name");
  const [fam, table, name] = parts.length === 3 ? parts : ["*", ...parts];
  if (!table || !name) throw new Error("table and name must not be empty");
  if (fam !== "*" && (fam === "all" || !Object.hasOwn(FAMILIES, fam as string))) {
    throw new Error(`unknown family "${fam}"`);
  }
  const family = fam === "*" ? undefined : FAMILIES[fam as keyof typeof FAMILIES];
  const literal = family !== undefined && !/[*?]/.test(table + name);
  return { family, table: glob(table), name: glob(name), text, literal };
}

/** matches tells whether the pattern selects `name` in table `table` of family `family` (NFPROTO_*). */
export function matches(p: NamePattern, family: number, table: string, name: string): boolean {
  return (p.family === undefined || p.family === family) && p.table(table) && p.name(name);
}

/** matchesAny is matches over a list: what a repeatable selection flag means. */
export function matchesAny(ps: readonly NamePattern[], family: number, table: string, name: string): boolean {
  return ps.some((p) => matches(p, family, table, name));
}

/** glob compiles one glob to a test; `*` and literal names skip the regex (100k objects per scrape). */
export function glob(text: string): (s: string) => boolean {
  if (text === "*") return () => true;
  if (!/[*?]/.test(text)) return (s) => s === text;
  const body = text
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const re = new RegExp(`^${body}$`, "s");
  return (s) => re.test(s);
}
