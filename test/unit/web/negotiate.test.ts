import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OPENMETRICS_FORMAT } from "../../../src/exposition/openmetrics.js";
import { TEXT_FORMAT } from "../../../src/exposition/text.js";
import { acceptsGzip, negotiateFormat, parsePreferences } from "../../../src/web/negotiate.js";

describe("negotiateFormat", () => {
  const PROMETHEUS_2 =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  const PROMETHEUS_TEXT_ONLY = "text/plain;version=0.0.4;q=1,*/*;q=0.1";
  const cases: [string | undefined, typeof TEXT_FORMAT][] = [
    [undefined, TEXT_FORMAT],
    ["", TEXT_FORMAT],
    ["*/*", TEXT_FORMAT],
    [PROMETHEUS_2, OPENMETRICS_FORMAT],
    [PROMETHEUS_TEXT_ONLY, TEXT_FORMAT],
    ["application/openmetrics-text", OPENMETRICS_FORMAT],
    ["Application/OpenMetrics-Text; Version=1.0.0", OPENMETRICS_FORMAT],
    ["application/openmetrics-text;version=0.0.1", OPENMETRICS_FORMAT],
    ["application/openmetrics-text;version=2.0.0", TEXT_FORMAT],
    ["application/openmetrics-text;q=0", TEXT_FORMAT],
    ["text/plain;q=0.9,application/openmetrics-text;q=0.5", TEXT_FORMAT],
    ["text/plain;q=0.4,application/openmetrics-text;q=0.5", OPENMETRICS_FORMAT],
    [
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
      TEXT_FORMAT,
    ],
    ["application/openmetrics-text;q=banana", TEXT_FORMAT],
    ["text/html, application/openmetrics-text;version=1.0.0;q=0.8", OPENMETRICS_FORMAT],
  ];
  for (const [accept, want] of cases) {
    test(`${JSON.stringify(accept)} → ${want === TEXT_FORMAT ? "text" : "openmetrics"}`, () => {
      assert.equal(negotiateFormat(accept), want);
    });
  }
});

describe("acceptsGzip", () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ["", false],
    ["gzip", true],
    ["GZIP", true],
    ["deflate, gzip;q=1.0, *;q=0.5", true],
    ["gzip;q=0", false],
    ["gzip;q=0.000", false],
    ["identity", false],
    ["*", true],
    ["*;q=0", false],
    ["gzip;q=0, *", false],
    ["br, x-gzip", true],
  ];
  for (const [header, want] of cases)
    test(`${JSON.stringify(header)} → ${want}`, () => assert.equal(acceptsGzip(header), want));
});

describe("parsePreferences", () => {
  test("sorted by quality, stable among equals, parameters kept, quoted values unquoted", () => {
    const prefs = parsePreferences('a/x;q=0.5, b/y;v="1", c/z;q=1');
    assert.deepEqual(
      prefs.map((p) => [p.token, p.q, Object.fromEntries(p.params)]),
      [
        ["b/y", 1, { v: "1" }],
        ["c/z", 1, {}],
        ["a/x", 0.5, {}],
      ],
    );
  });
});
