import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, test } from "node:test";
import { scrapeTimeoutMs } from "../../../src/web/server.js";

function req(header?: string): IncomingMessage {
  const headers = header === undefined ? {} : { "x-prometheus-scrape-timeout-seconds": header };
  return { headers } as unknown as IncomingMessage;
}

describe("scrapeTimeoutMs", () => {
  const cases: [string | undefined, number, number][] = [
    [undefined, 10_000, 10_000],
    ["", 10_000, 10_000],
    ["abc", 10_000, 10_000],
    ["0", 10_000, 10_000],
    ["-5", 10_000, 10_000],
    ["Infinity", 10_000, 10_000],
    ["10", 10_000, 9_750],
    ["10", 3_000, 3_000],
    ["2.5", 10_000, 2_250],
    ["0.1", 10_000, 100],
  ];
  for (const [header, readTimeout, want] of cases) {
    test(`header ${JSON.stringify(header)}, -read-timeout ${readTimeout} ms → ${want} ms`, () => {
      assert.equal(scrapeTimeoutMs(req(header), readTimeout), want);
    });
  }
});
