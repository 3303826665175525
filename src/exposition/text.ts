/**
 * Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 * Counters are bigints printed as exact decimal integers, never in floating-point notation.
 */
import { u64Words } from "../model/columns.js";
import { ExpositionWriter } from "./writer.js";

export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge";
export type SampleValue = bigint | number;

/** Sample is one line of a family: pre-rendered labels (see formatLabels) and a value. */
export interface Sample {
  labels: string;
  value: SampleValue;
}

/**
 * SampleColumns are a family's samples as aligned columns: sample i has labels[i] and the value
 * values[offset + i * stride]. Families of 100k series (rules, named counters, set elements) are
 * rendered from the columns they arrive in, without an object per sample.
 */
export interface SampleColumns {
  labels: readonly string[];
  values: BigUint64Array | readonly SampleValue[];
  offset: number;
  stride: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Iterable<Sample> | SampleColumns;
}

/** columns builds SampleColumns (stride 1, offset 0 unless given). */
export function columns(
  labels: readonly string[],
  values: BigUint64Array | readonly SampleValue[],
  offset = 0,
  stride = 1,
): SampleColumns {
  return { labels, values, offset, stride };
}

/** escapeLabelValue escapes backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

/** formatLabels renders `{k="v",...}` for aligned names and values; "" when there are no labels. */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  const pairs = new Array<string>(names.length + 2);
  pairs[0] = "{";
  for (let i = 0; i < names.length; i++)
    pairs[i + 1] = `${i > 0 ? "," : ""}${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  pairs[names.length + 1] = "}";
  // join makes one flat string; `+=` would keep a tree of the pieces (a large plan keeps 100k of these).
  return pairs.join("");
}

/** parseLabels reads a label text made by formatLabels back into its pairs, values unescaped. */
export function parseLabels(text: string): [string, string][] {
  return [...text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
    m[1] as string,
    (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)),
  ]);
}

/** formatValue prints bigints exactly and floats in a form Prometheus parses (NaN, +Inf, -Inf). */
export function formatValue(value: SampleValue): string {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/**
 * ExpositionFormat is one wire format: its Content-Type and how it renders families. The text format and
 * OpenMetrics (openmetrics.ts) differ only in the points a Dialect names, so both share renderWith.
 */
export interface ExpositionFormat {
  contentType: string;
  /**
   * chunks writes the exposition in pieces of about chunkBytes (one piece when Infinity), each yielded
   * as soon as it is full, so that the caller can compress and send it while the next is written.
   * sizeHint (bytes, e.g. the last exposition's length) saves regrowing a single piece.
   */
  chunks(families: Iterable<MetricFamily>, chunkBytes: number, sizeHint?: number): Generator<Buffer>;
}

/** Dialect: what differs between the text format and OpenMetrics. */
export interface Dialect {
  /** Name on the HELP and TYPE lines (OpenMetrics names a counter family without `_total`). */
  familyName(f: MetricFamily): string;
  escapeHelp(help: string): string;
  /** Written after the last family ("" or OpenMetrics' `# EOF`). */
  trailer: string;
}

/** renderWith renders families in order, in chunks (see ExpositionFormat.chunks). */
export function* renderWith(
  families: Iterable<MetricFamily>,
  dialect: Dialect,
  chunkBytes: number,
  sizeHint?: number,
): Generator<Buffer> {
  // The last exposition's size, capped at a piece: a small one never allocates a whole piece.
  const out = new ExpositionWriter(Math.min(sizeHint ?? 64 * 1024, chunkBytes) + 4096);
  for (const f of families) {
    const name = dialect.familyName(f);
    out.text(`# HELP ${name} ${dialect.escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n`);
    const samples = f.samples;
    if (Symbol.iterator in samples) {
      for (const s of samples) {
        out.text(`${f.name}${s.labels} ${formatValue(s.value)}\n`);
        if (out.length >= chunkBytes) yield out.take();
      }
    } else {
      yield* writeColumns(out, f.name, samples, chunkBytes);
    }
  }
  out.text(dialect.trailer);
  yield out.finish();
}

/** writeColumns writes a family's column samples, a few appends per line and no string per line. */
function* writeColumns(
  out: ExpositionWriter,
  name: string,
  samples: SampleColumns,
  chunkBytes: number,
): Generator<Buffer> {
  const { labels, values, offset, stride } = samples;
  const words = values instanceof BigUint64Array ? u64Words(values) : undefined;
  const nameBytes = Buffer.from(name);
  for (let i = 0; i < labels.length; i++) {
    out.bytes(nameBytes);
    out.text(labels[i] as string);
    out.byte(SPACE);
    if (words) out.u64(words, offset + i * stride);
    else out.text(formatValue(values[offset + i * stride] as SampleValue));
    out.byte(NEWLINE);
    if (out.length >= chunkBytes) yield out.take();
  }
}

/** render is the whole exposition in one Buffer. */
export function render(format: ExpositionFormat, families: Iterable<MetricFamily>): Buffer {
  return Buffer.concat([...format.chunks(families, Number.POSITIVE_INFINITY)]);
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

const TEXT_DIALECT: Dialect = {
  familyName: (f) => f.name,
  // The text format escapes backslash and line feed in HELP, not the double quote.
  escapeHelp: (help) => help.replace(/[\\\n]/g, (c) => (c === "\\" ? "\\\\" : "\\n")),
  trailer: "",
};

/** renderText renders the text format 0.0.4. */
export function renderText(families: Iterable<MetricFamily>): Buffer {
  return render(TEXT_FORMAT, families);
}

export const TEXT_FORMAT: ExpositionFormat = {
  contentType: TEXT_CONTENT_TYPE,
  chunks: (families, chunkBytes, sizeHint) => renderWith(families, TEXT_DIALECT, chunkBytes, sizeHint),
};
