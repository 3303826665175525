import { type Dialect, type ExpositionFormat, type MetricFamily, render, renderWith } from "./text.js";

/**
 * OpenMetrics 1.0 (https://github.com/prometheus/OpenMetrics/blob/v1.0.0/specification/OpenMetrics.md),
 * served when a scraper's Accept header prefers it. Samples, labels and values are written as in the text
 * format; what differs: a counter family is named without `_total` (its sample keeps the suffix), HELP
 * also escapes the double quote, and the exposition ends with `# EOF`. No `_created` samples: the
 * specification makes them optional and nfprom does not know when a rule's counter started.
 */
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const OPENMETRICS_DIALECT: Dialect = {
  familyName: (f: MetricFamily) => (f.type === "counter" ? f.name.replace(/_total$/, "") : f.name),
  escapeHelp: (help) => help.replace(/[\\\n"]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`)),
  trailer: "# EOF\n",
};

/** renderOpenMetrics renders families in order, closed by `# EOF`. */
export function renderOpenMetrics(families: Iterable<MetricFamily>): Buffer {
  return render(OPENMETRICS_FORMAT, families);
}

export const OPENMETRICS_FORMAT: ExpositionFormat = {
  contentType: OPENMETRICS_CONTENT_TYPE,
  chunks: (families, chunkBytes, sizeHint) => renderWith(families, OPENMETRICS_DIALECT, chunkBytes, sizeHint),
};
