/** Summaries of repeated timings, and the timer that takes them. */

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

/** Runs a program to the end and times it (wall clock). */
export async function timed(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    ms: performance.now() - started,
  };
}
