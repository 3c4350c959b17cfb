/** Running a host program (not podman: that goes through the podman runner) and reading its output. */
import { EnvironmentError, FailedError } from "../errors.ts";

/** What a finished program printed and returned. */
export interface ProcessOutput {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

/**
 * Runs `program` with `args` (stdin closed; `env` added to the inherited environment), capturing its output. A program that is not
 * installed is an {@link EnvironmentError} that says to install it.
 */
export async function runProcess(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ProcessOutput> {
  try {
    const out = await new Deno.Command(program, {
      args: [...args],
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new EnvironmentError(`cannot run '${program}': not found`, {
        hint: `install ${program}`,
        cause: err,
      });
    }
    throw err;
  }
}

/** Like {@link runProcess}, but a non-zero exit is a {@link FailedError} with the last stderr lines; returns stdout. */
export async function mustRun(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await runProcess(program, args, options);
  if (r.code !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-3).join(" ");
    throw new FailedError(`${program} ${args.join(" ")} failed (exit ${r.code}): ${tail}`);
  }
  return r.stdout;
}
