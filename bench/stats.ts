/** Summaries and formatting shared by the benchmark drivers (run.ts, sources.ts). */

export interface Dist {
  p50: number;
  p95: number;
  min: number;
  max: number;
  runs: number[];
}

export function dist(runs: number[]): Dist {
  const s = [...runs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const p50 = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  const p95 = s[Math.max(0, Math.ceil(0.95 * s.length) - 1)] as number;
  return { p50, p95, min: s[0] as number, max: s[s.length - 1] as number, runs };
}

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
