/**
 * The typed podman driver: runs {@link PodmanCommand}s through a {@link PodmanRunner} and turns
 * exit codes and output into values or typed errors. Every devaipod command goes through it.
 */
import { PodmanFailedError } from "../errors.ts";
import type { PodmanCommand } from "./command.ts";
import { ProcessRunner } from "./runner.ts";
import type { PodmanRunner, RunOptions } from "./runner.ts";

const decoder = new TextDecoder();
const isZero = (code: number) => code === 0;

/** Runs podman commands and returns their parsed results. */
export class Podman {
  readonly runner: PodmanRunner;

  constructor(runner: PodmanRunner) {
    this.runner = runner;
  }

  /** A driver over real processes, configured from the environment. */
  static fromEnv(): Podman {
    return new Podman(ProcessRunner.fromEnv());
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
  async run<T>(command: PodmanCommand<T>, options: Pick<RunOptions, "signal"> = {}): Promise<T> {
    const result = await this.runner.run(command.argv, {
      ...options,
      ...(command.stdin ? { stdin: command.stdin } : {}),
    });
    const stderr = decoder.decode(result.stderr);
    if (!(command.accepts ?? isZero)(result.code)) {
      throw new PodmanFailedError(this.argvOf(command), result.code, stderr);
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
}
