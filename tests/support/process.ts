/** Running programs and waiting for conditions in tests. */
import type { CliResult } from "./cli.ts";

const dec = new TextDecoder();

/** Options of {@link run}. */
export interface RunOptions {
  /** Written to the program's stdin, which is then closed (without it, stdin is /dev/null). */
  stdin?: string | Uint8Array;
  /** Added to this process's environment (NO_COLOR=1 is always set). */
  env?: Record<string, string>;
}

/**
 * Runs a program to its end and returns its exit code and output.
 *
 * @example
 * ```ts
 * const r = await run("podman", ["ps"]);
 * ```
 */
export async function run(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<CliResult> {
  const child = new Deno.Command(program, {
    args,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    const { stdin } = options;
    await w.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** How long {@link eventually} and {@link waitFor} poll, and how often. */
export interface PollOptions {
  /** Give up after this many milliseconds (default 15 s). */
  ms?: number;
  /** Milliseconds between tries (default 100). */
  every?: number;
}

/**
 * Gets a value until `check` holds of it, for up to `ms`; returns the last value got, whether it
 * passed or not (the caller's assertion then says what was wrong).
 */
export async function eventually<T>(
  get: () => T | Promise<T>,
  check: (value: T) => boolean,
  { ms = 15_000, every = 100 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await get();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, every));
    value = await get();
  }
  return value;
}

/** Waits until `check` holds; after `ms`, throws "timed out waiting for WHAT". */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: PollOptions = {},
): Promise<void> {
  if (!(await eventually(check, (ok) => ok, options))) {
    throw new Error(`timed out waiting for ${what}`);
  }
}
