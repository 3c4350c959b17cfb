/** Summaries of repeated timings. */

/** Summary of repeated runs, in milliseconds. */
export interface Stats {
  median: number;
  p90: number;
  min: number;
}

/** Median, 90th percentile and minimum of samples. */
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] ?? NaN;
  return { median: at(0.5), p90: at(0.9), min: s[0] ?? NaN };
}
