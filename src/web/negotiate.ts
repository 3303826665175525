import { OPENMETRICS_FORMAT } from "../exposition/openmetrics.js";
import { type ExpositionFormat, TEXT_FORMAT } from "../exposition/text.js";

/** One entry of an Accept or Accept-Encoding header: lower-cased token, parameters, quality. */
interface Preference {
  token: string;
  params: Map<string, string>;
  q: number;
}

/**
 * parsePreferences splits `a/b;version=1;q=0.5, c` into entries sorted by quality, highest first; entries
 * keep their header order among equal qualities. A malformed quality counts as 0 (not acceptable).
 */
export function parsePreferences(header: string | undefined): Preference[] {
  if (!header) return [];
  const out: Preference[] = [];
  for (const part of header.split(",")) {
    const [head, ...rest] = part.split(";");
    const token = (head ?? "").trim().toLowerCase();
    if (token === "") continue;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ""),
        );
    }
    const qText = params.get("q");
    const q = qText === undefined ? 1 : /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qText) ? Number(qText) : 0;
    params.delete("q");
    out.push({ token, params, q });
  }
  return out.sort((a, b) => b.q - a.q);
}

/**
 * negotiateFormat picks the exposition format as Prometheus' client libraries do: the acceptable entry of
 * highest quality that names OpenMetrics (version 1.0.0, 0.0.1 or none) or the text format (version
 * 0.0.4 or none) wins; anything else (`*\/*`, protobuf, an absent header) gets the text format.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  for (const { token, params, q } of parsePreferences(accept)) {
    if (q <= 0) continue;
    const version = params.get("version");
    if (
      token === "application/openmetrics-text" &&
      (version === undefined || version === "1.0.0" || version === "0.0.1")
    ) {
      return OPENMETRICS_FORMAT;
    }
    if (token === "text/plain" && (version === undefined || version === "0.0.4")) return TEXT_FORMAT;
  }
  return TEXT_FORMAT;
}

/** acceptsGzip: `gzip` (or `*`) is listed with a quality above 0 and not refused by a `gzip;q=0`. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  const prefs = parsePreferences(acceptEncoding);
  const gzip = prefs.find((p) => p.token === "gzip" || p.token === "x-gzip");
  if (gzip) return gzip.q > 0;
  return prefs.some((p) => p.token === "*" && p.q > 0);
}
