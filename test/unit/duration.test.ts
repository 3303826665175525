import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDuration } from "../../src/duration.js";

describe("parseDuration (Go time.Duration syntax, in ms)", () => {
  const good: [string, number][] = [
    ["0", 0],
    ["0s", 0],
    ["3s", 3000],
    ["250ms", 250],
    ["3ms", 3],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["1h2m3s4ms", 3_723_004],
    ["2h45m", 9_900_000],
    [".5s", 500],
    ["1.s", 1000],
    ["1.25m", 75_000],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["3000000ns", 3],
    ["1s1s", 2000],
  ];
  for (const [text, ms] of good) {
    test(`${text} = ${ms} ms`, () => {
      const got = parseDuration(text);
      assert.ok(got !== undefined, `${text} rejected`);
      assert.ok(Math.abs(got - ms) < 1e-9, `${text}: ${got} ≠ ${ms}`);
    });
  }

  const bad = [
    "",
    "3",
    "00",
    "s",
    "3x",
    "3S",
    "3sec",
    " 3s",
    "3s ",
    "1h 30m",
    "3m3",
    "1e3s",
    ".s",
    ".",
    "3mss",
    "1.5.5s",
    "ms",
    "3 s",
    "0x10s",
  ];
  for (const text of bad)
    test(`${JSON.stringify(text)} is not a duration`, () => assert.equal(parseDuration(text), undefined));
});
