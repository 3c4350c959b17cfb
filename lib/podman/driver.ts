/**
 * The typed podman driver: runs {@link PodmanCommand}s through a {@link PodmanRunner} and turns
 * exit codes and output into values or typed errors. Every devaipod command goes through it.
 */
import { InterruptedError, PodmanFailedError } from "../errors.ts";
import type { PodmanCommand } from "./command.ts";
import { ProcessRunner } from "./runner.ts";
import type { PodmanRunner } from "./runner.ts";

const decoder = new TextDecoder();
const isZero = (code: number) => code === 0;

/** Options of one {@link Podman.run}. */
export interface PodmanRunOptions {
  /**
   * Run even after the user interrupted: for cleanup that undoes what was created. Other
   * commands refuse to start once interrupted.
   */
  cleanup?: boolean;
  /** Kill podman after this long and fail with {@link PodmanTimeoutError}. */
  timeoutMs?: number;
}

/** podman did not finish within the time a caller gave it. Exit 5. */
export class PodmanTimeoutError extends PodmanFailedError {
  constructor(argv: readonly string[], timeoutMs: number) {
    super(argv, -1, `timed out after ${timeoutMs} ms`);
  }
}

/**
 * Runs podman commands and returns their parsed results.
 *
 * Interruption: once `interrupt` is aborted (Ctrl-C), no new command starts — except cleanup —
 * and a command that fails meanwhile (podman got the terminal's SIGINT too) reports
 * {@link InterruptedError}. A running command is never killed half-way, so it cannot leave a
 * half-made object behind that nothing knows about.
 */
export class Podman {
  readonly runner: PodmanRunner;
  readonly #interrupt: AbortSignal | undefined;

  constructor(runner: PodmanRunner, options: { interrupt?: AbortSignal } = {}) {
    this.runner = runner;
    this.#interrupt = options.interrupt;
  }

  /** A driver over real processes, configured from the environment. */
  static fromEnv(options: { interrupt?: AbortSignal } = {}): Podman {
    return new Podman(ProcessRunner.fromEnv(), options);
  }

  /** Whether the user interrupted this run. */
  get interrupted(): boolean {
    return this.#interrupt?.aborted === true;
  }

  /** The full argv a command runs as (`podman …`, or through `flatpak-spawn`). */
  argvOf(command: PodmanCommand<unknown>): string[] {
    return [...this.runner.prefix, ...command.argv];
  }

  /**
   * Runs a command. An exit code the command does not accept throws
   * {@link PodmanFailedError} with the argv and the tail of stderr; a missing podman throws
   * `PodmanMissingError`; output that does not parse throws `PodmanOutputError`.
   */
  async run<T>(command: PodmanCommand<T>, options: PodmanRunOptions = {}): Promise<T> {
    if (this.interrupted && !options.cleanup) throw new InterruptedError();
    const timeout = options.timeoutMs !== undefined
      ? AbortSignal.timeout(options.timeoutMs)
      : undefined;
    const result = await this.runner.run(command.argv, {
      ...(command.stdin ? { stdin: command.stdin } : {}),
      ...(timeout ? { signal: timeout } : {}),
    });
    // A killed podman's exit code says nothing about the command: report the timeout.
    if (timeout?.aborted) {
      throw new PodmanTimeoutError(this.argvOf(command), options.timeoutMs ?? 0);
    }
    const stderr = decoder.decode(result.stderr);
    if (!(command.accepts ?? isZero)(result.code)) {
      const failure = new PodmanFailedError(this.argvOf(command), result.code, stderr);
      if (this.interrupted && !options.cleanup) throw new InterruptedError({ cause: failure });
      throw failure;
    }
    return command.parse({ code: result.code, stdout: decoder.decode(result.stdout), stderr });
  }

  /**
   * Runs a command attached to the terminal (interactive `exec`, `logs -f`) and returns
   * podman's exit code, which for `exec` is the code of the command inside the container.
   */
  runInteractive(command: PodmanCommand<unknown>): Promise<number> {
    return this.runner.runInherited(command.argv);
  }

  /**
   * Starts a command with piped stdio and returns the process, for callers that relay its
   * streams (the SSH bridge's sessions). Refused after an interrupt.
   */
  spawn(
    command: PodmanCommand<unknown>,
    env?: Readonly<Record<string, string>>,
  ): Deno.ChildProcess {
    if (this.interrupted) throw new InterruptedError();
    return this.runner.spawnPiped(command.argv, env);
  }
}
