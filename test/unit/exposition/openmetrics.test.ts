import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  OPENMETRICS_CONTENT_TYPE,
  OPENMETRICS_FORMAT,
  renderOpenMetrics as renderOpenMetricsBuffer,
} from "../../../src/exposition/openmetrics.js";
import {
  type MetricFamily,
  renderText as renderTextBuffer,
  TEXT_FORMAT,
} from "../../../src/exposition/text.js";

/** renderOpenMetrics as text, for assertions on strings. */
const renderOpenMetrics = (...args: Parameters<typeof renderOpenMetricsBuffer>) =>
  String(renderOpenMetricsBuffer(...args));

/** renderText as text, for assertions on strings. */
const renderText = (...args: Parameters<typeof renderTextBuffer>) => String(renderTextBuffer(...args));

const families = (): MetricFamily[] => [
  {
    name: "nfprom_bytes_total",
    help: 'Bytes "counted", with \\ and\nnewline.',
    type: "counter",
    samples: [
      { labels: '{svc="a"}', value: 2n ** 64n - 1n },
      { labels: '{svc="b\\"q"}', value: 0n },
    ],
  },
  { name: "nfprom_up", help: "Up.", type: "gauge", samples: [{ labels: "", value: 1 }] },
  { name: "nfprom_read_errors_total", help: "Errors.", type: "counter", samples: [] },
  {
    name: "process_max_fds",
    help: "Max.",
    type: "gauge",
    samples: [{ labels: "", value: Number.POSITIVE_INFINITY }],
  },
];

describe("renderOpenMetrics", () => {
  test("counter families lose _total on HELP/TYPE, samples keep it, # EOF ends it", () => {
    assert.equal(
      renderOpenMetrics(families()),
      [
        '# HELP nfprom_bytes Bytes \\"counted\\", with \\\\ and\\nnewline.',
        "# TYPE nfprom_bytes counter",
        'nfprom_bytes_total{svc="a"} 18446744073709551615',
        'nfprom_bytes_total{svc="b\\"q"} 0',
        "# HELP nfprom_up Up.",
        "# TYPE nfprom_up gauge",
        "nfprom_up 1",
        "# HELP nfprom_read_errors Errors.",
        "# TYPE nfprom_read_errors counter",
        "# HELP process_max_fds Max.",
        "# TYPE process_max_fds gauge",
        "process_max_fds +Inf",
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  test("the text format renders the same samples, without # EOF and without escaping quotes in HELP", () => {
    const text = renderText(families());
    assert.ok(text.startsWith('# HELP nfprom_bytes_total Bytes "counted", with \\\\ and\\nnewline.\n'));
    assert.ok(text.includes("# TYPE nfprom_bytes_total counter\n"));
    assert.ok(!text.includes("# EOF"));
    const samples = (s: string) => s.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    assert.deepEqual(samples(text), samples(renderOpenMetrics(families())));
  });

  test("an empty exposition is just # EOF", () => assert.equal(renderOpenMetrics([]), "# EOF\n"));

  test("formats carry their content types", () => {
    assert.equal(
      OPENMETRICS_FORMAT.contentType,
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    assert.equal(OPENMETRICS_CONTENT_TYPE, OPENMETRICS_FORMAT.contentType);
    assert.equal(TEXT_FORMAT.contentType, "text/plain; version=0.0.4; charset=utf-8");
  });
});
