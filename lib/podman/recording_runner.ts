/**
 * A {@link PodmanRunner} that runs nothing: it records each argv and answers from a script of
 * responses. Used by unit tests for argv checks (and by `--dry-run` to collect the plan).
 */
import type { PodmanRunner, ProcessResult, RunOptions } from "./runner.ts";

/** A scripted answer: exit code and output. */
export interface ScriptedResult {
  code?: number;
  stdout?: string;
  stderr?: string;
}

/** Chooses the answer for an argv; undefined means exit 0 with no output. */
export type Responder = (args: readonly string[]) => ScriptedResult | undefined;

/** One recorded call. */
export interface RecordedCall {
  args: string[];
  stdin?: string;
}

const encoder = new TextEncoder();

/** Records calls and answers them from a responder. */
export class RecordingRunner implements PodmanRunner {
  readonly prefix: readonly string[];
  readonly calls: RecordedCall[] = [];
  #respond: Responder;

  constructor(respond: Responder = () => undefined, prefix: readonly string[] = ["podman"]) {
    this.#respond = respond;
    this.prefix = prefix;
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    this.calls.push({
      args: [...args],
      ...(options.stdin ? { stdin: new TextDecoder().decode(options.stdin) } : {}),
    });
    const r = this.#respond(args) ?? {};
    return Promise.resolve({
      code: r.code ?? 0,
      stdout: encoder.encode(r.stdout ?? ""),
      stderr: encoder.encode(r.stderr ?? ""),
    });
  }

  runInherited(args: readonly string[]): Promise<number> {
    this.calls.push({ args: [...args] });
    return Promise.resolve(this.#respond(args)?.code ?? 0);
  }

  /** Records the call; a recording has no process to give, so it throws. */
  spawnPiped(args: readonly string[], _env?: Readonly<Record<string, string>>): Deno.ChildProcess {
    this.calls.push({ args: [...args] });
    throw new Error(`RecordingRunner cannot spawn: podman ${args.join(" ")}`);
  }
}
