/** Turns an error into the lines devaipod prints on stderr: `error: …`, `hint: …`, causes. */
import { DevaipodError, toDevaipodError } from "../errors.ts";

/** The stderr text for an error; `verbose` adds the chain of causes. */
export function formatError(err: unknown, verbose: boolean): string {
  const e = toDevaipodError(err);
  if (e.silent && !verbose) return "";
  const lines = [`error: ${e.message}`];
  if (e.hint) lines.push(`hint: ${e.hint}`);
  if (verbose) {
    let cause: unknown = e.cause;
    let depth = 0;
    while (cause !== undefined && depth < 8) {
      if (cause instanceof DevaipodError) lines.push(`caused by: ${cause.message}`);
      else if (cause instanceof Error) lines.push(`caused by: ${cause.name}: ${cause.message}`);
      else lines.push(`caused by: ${String(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
      depth++;
    }
    if (e.exitCode === 1 && e.cause instanceof Error && e.cause.stack) {
      lines.push(...e.cause.stack.split("\n").slice(1).map((l) => `  ${l.trim()}`));
    }
  }
  return `${lines.join("\n")}\n`;
}
