/**
 * What every command gets: injected effects (environment, output streams, a podman driver made
 * on first use) and the global options. Commands never touch `Deno.args`, `Deno.exit` or the
 * process's streams directly, so they run the same under tests.
 */
import type { Podman } from "../podman/driver.ts";
import type { EnvReader } from "../podman/runner.ts";
import { Systemd } from "../systemd/systemd.ts";
import type { SystemdScope } from "../systemd/systemd.ts";

/** Text sinks for the process's output. */
export interface CliIO {
  /** Writes to standard output (results, `--json`). */
  stdout(text: string): void;
  /** Writes to standard error (progress, warnings, human tables when stdout is not for them). */
  stderr(text: string): void;
  /** Whether standard output is a terminal. */
  stdoutIsTerminal: boolean;
}

/** The process environment: single reads, and a snapshot for `${localEnv:…}`. */
export interface Env extends EnvReader {
  toObject(): Record<string, string>;
}

/** The effects a CLI run depends on. */
export interface CliDeps {
  env: Env;
  /** The current directory (relative paths in arguments start there). */
  cwd(): string;
  io: CliIO;
  /** Makes the podman driver; called at most once, and only by commands that need podman. */
  makePodman(): Podman;
  /** Whether this process runs inside a toolbox. */
  inToolbox(): boolean;
  /** Aborted when the user presses Ctrl-C. */
  signal: AbortSignal;
  /** Makes the systemd driver of a scope (Quadlet workspaces); real processes when absent. */
  makeSystemd?(scope: SystemdScope): Systemd;
}

/** Options accepted before or after any command. */
export interface GlobalOptions {
  config?: string;
  verbose: boolean;
  quiet: boolean;
}

/** The per-run context handed to commands. */
export class CliContext {
  readonly deps: CliDeps;
  globals: GlobalOptions = { verbose: false, quiet: false };
  #podman: Podman | undefined;

  constructor(deps: CliDeps) {
    this.deps = deps;
  }

  /** The systemd driver of `scope`, for Quadlet workspaces. */
  systemd(scope: SystemdScope): Systemd {
    return this.deps.makeSystemd?.(scope) ??
      Systemd.forScope(scope, { interrupt: this.deps.signal });
  }

  /** The podman driver (made on first use). */
  get podman(): Podman {
    this.#podman ??= this.deps.makePodman();
    return this.#podman;
  }

  /** Writes a line to stdout. */
  out(line = ""): void {
    this.deps.io.stdout(`${line}\n`);
  }

  /** Writes a line to stderr. */
  err(line = ""): void {
    this.deps.io.stderr(`${line}\n`);
  }

  /** Writes a progress or informational line to stderr unless `--quiet`. */
  info(line: string): void {
    if (!this.globals.quiet) this.err(line);
  }

  /** Writes a detail line to stderr with `--verbose`. */
  debug(line: string): void {
    if (this.globals.verbose) this.err(line);
  }

  /** Writes one JSON document to stdout (the `--json` contract: one value, newline-terminated). */
  json(value: unknown): void {
    this.deps.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }
}
