import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  escapeLabelValue,
  formatLabels,
  formatValue,
  type MetricFamily,
  renderText as renderTextBuffer,
  TEXT_CONTENT_TYPE,
} from "../../../src/exposition/text.js";
import { checkMetrics, promtoolMissing } from "../helpers/promtool.js";

/** renderText as text, for assertions on strings. */
const renderText = (...args: Parameters<typeof renderTextBuffer>) => String(renderTextBuffer(...args));

describe("escapeLabelValue", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["a\\b", "a\\\\b"],
    ['say "hi"', 'say \\"hi\\"'],
    ["l1\nl2", "l1\\nl2"],
    ['\\"\n', '\\\\\\"\\n'],
    ["\\n", "\\\\n"],
    ["tab\there\rcr", "tab\there\rcr"],
    ["Überwachung 日本 📈", "Überwachung 日本 📈"],
    ["", ""],
  ];
  for (const [input, want] of cases)
    test(JSON.stringify(input), () => assert.equal(escapeLabelValue(input), want));
});

describe("formatLabels", () => {
  test("no labels renders nothing", () => assert.equal(formatLabels([], []), ""));
  test("names and escaped values in order", () => {
    assert.equal(formatLabels(["a", "b", "c"], ["1", 'x"y', ""]), '{a="1",b="x\\"y",c=""}');
  });
  test("a missing value is empty", () => assert.equal(formatLabels(["a", "b"], ["1"]), '{a="1",b=""}'));
});

describe("formatValue", () => {
  const cases: [bigint | number, string][] = [
    [0n, "0"],
    [2n ** 53n + 1n, "9007199254740993"],
    [2n ** 63n + 5n, "9223372036854775813"],
    [2n ** 64n - 1n, "18446744073709551615"],
    [3n * (2n ** 64n - 1n), "55340232221128654845"],
    [16223817n, "16223817"],
    [0, "0"],
    [1, "1"],
    [0.25, "0.25"],
    [-3, "-3"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
  ];
  for (const [value, want] of cases)
    test(`${String(value)} → ${want}`, () => assert.equal(formatValue(value), want));
});

describe("renderText", () => {
  test("HELP, TYPE, samples, escaped HELP, families without samples, final newline", () => {
    const families: MetricFamily[] = [
      {
        name: "x_bytes_total",
        help: 'Bytes with a \\ backslash,\na newline and "quotes".',
        type: "counter",
        samples: [
          { labels: formatLabels(["k"], ['v"1']), value: 2n ** 64n - 1n },
          { labels: formatLabels(["k"], ["v\\2\n"]), value: 0n },
        ],
      },
      { name: "x_empty_total", help: "No samples.", type: "counter", samples: [] },
      { name: "x_up", help: "Up.", type: "gauge", samples: [{ labels: "", value: 1 }] },
    ];
    assert.equal(
      renderText(families),
      [
        '# HELP x_bytes_total Bytes with a \\\\ backslash,\\na newline and "quotes".',
        "# TYPE x_bytes_total counter",
        'x_bytes_total{k="v\\"1"} 18446744073709551615',
        'x_bytes_total{k="v\\\\2\\n"} 0',
        "# HELP x_empty_total No samples.",
        "# TYPE x_empty_total counter",
        "# HELP x_up Up.",
        "# TYPE x_up gauge",
        "x_up 1",
        "",
      ].join("\n"),
    );
  });

  test("samples may be any iterable (a generator is consumed once)", () => {
    function* samples() {
      yield { labels: "", value: 7n };
    }
    assert.equal(
      renderText([{ name: "g", help: "h", type: "gauge", samples: samples() }]),
      "# HELP g h\n# TYPE g gauge\ng 7\n",
    );
  });

  test("no families: empty output", () => assert.equal(renderText([]), ""));

  test("content type is text format 0.0.4", () => {
    assert.equal(TEXT_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  });

  test("promtool check metrics accepts the rendering", { skip: promtoolMissing }, () => {
    const text = renderText([
      {
        name: "nfprom_bytes_total",
        help: "Bytes counted, with \\ and\nnewline in help.",
        type: "counter",
        samples: [
          { labels: formatLabels(["dir", "service"], ["in", 'a\\b"c\nd']), value: 2n ** 64n - 1n },
          { labels: formatLabels(["dir", "service"], ["out", "Überwachung 📈"]), value: 3n * 2n ** 64n },
          { labels: formatLabels(["dir", "service"], ["", ""]), value: 0n },
        ],
      },
      { name: "nfprom_packets_total", help: "Packets.", type: "counter", samples: [] },
      { name: "nfprom_up", help: "Up.", type: "gauge", samples: [{ labels: "", value: 1 }] },
      {
        name: "nfprom_odd",
        help: "Odd values.",
        type: "gauge",
        samples: [
          { labels: '{v="nan"}', value: Number.NaN },
          { labels: '{v="inf"}', value: Number.POSITIVE_INFINITY },
          { labels: '{v="tiny"}', value: 1e-7 },
        ],
      },
    ]);
    const r = checkMetrics(text);
    assert.equal(r.status, 0, `promtool said: ${r.output}\n---\n${text}`);
  });
});
