/**
 * Typed errors. Library code throws these; only `main.ts` prints them and exits.
 *
 * Every error carries a user-facing message, an optional hint (what to do next) and the
 * process exit code that names its category. The codes are part of the CLI contract and are
 * documented in docs/cli.md ("Exit codes").
 */

/** Exit codes of the devaipod CLI. Stable: scripts may depend on them. */
export const ExitCode = {
  ok: 0,
  /** A check or an operation failed for a reason not covered below. */
  failure: 1,
  /** Bad flags or arguments, and nothing else. */
  usage: 2,
  /** A configuration file is missing or invalid. */
  config: 3,
  /** podman (or the toolbox bridge to it) cannot be found. */
  podmanMissing: 4,
  /** podman ran and failed, or printed something devaipod cannot read. */
  podmanFailed: 5,
  /** A named workspace, image or file does not exist. */
  notFound: 6,
  /** A download failed or its content did not match the pinned integrity. */
  download: 7,
  /** Deno refused an operation that the granted permissions do not cover. */
  permission: 8,
  /**
   * The operation conflicts with what exists now: a workspace that already exists, is running
   * (or is not), lacks network isolation; a port already in use.
   */
  conflict: 9,
  /**
   * This host lacks something devaipod needs, other than podman (which is
   * {@link ExitCode.podmanMissing}): a program such as git or tar, or HOME.
   */
  environment: 10,
  /** A Kubernetes API server refused a request, or could not be reached (the server's message). */
  cluster: 11,
  /** The agent did not finish its task in the time given (`run --timeout`). */
  timeout: 12,
  /** Interrupted by the user (Ctrl-C). */
  interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Options shared by every devaipod error. */
export interface DevaipodErrorOptions {
  /** What the user can do about it, printed as `hint: …`. */
  hint?: string;
  /** The underlying error, printed with `--verbose`. */
  cause?: unknown;
  /** Exit with the code but print nothing (the command already said everything). */
  silent?: boolean;
}

/** Base class of every error that devaipod reports to the user. */
export class DevaipodError extends Error {
  override readonly name: string = "DevaipodError";
  readonly hint: string | undefined;
  /** One of {@link ExitCode}, or a command's own code passed through (`exec`). */
  readonly exitCode: number;
  readonly silent: boolean;

  constructor(message: string, exitCode: number, options: DevaipodErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.silent = options.silent === true;
  }
}

/**
 * Bad flags, arguments or combinations of them. Exit 2. Only for what the user typed: a
 * conflict with existing state is a {@link ConflictError}, a missing host facility an
 * {@link EnvironmentError}.
 */
export class UsageError extends DevaipodError {
  override readonly name = "UsageError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.usage, options);
  }
}

/** Where in a file a problem is: 1-based line and column. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** Formats a location as `file:line:col` (omitting what is unknown). */
export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  if (loc.column === undefined) return `${loc.file}:${loc.line}`;
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** One problem (or warning) found in a file, with where it is. */
export interface Diagnostic {
  message: string;
  location?: SourceLocation;
}

/** `file:line:col: message` (or the bare message without a location). */
export function formatDiagnostic(d: Diagnostic): string {
  return d.location ? `${formatLocation(d.location)}: ${d.message}` : d.message;
}

/** A configuration file is missing or invalid. Exit 3. */
export class ConfigError extends DevaipodError {
  override readonly name = "ConfigError";
  readonly location: SourceLocation | undefined;
  /** Every problem found (one, or all of a file's when validation reports them together). */
  readonly problems: readonly Diagnostic[];
  constructor(
    message: string,
    options: DevaipodErrorOptions & {
      location?: SourceLocation;
      problems?: readonly Diagnostic[];
    } = {},
  ) {
    const own: Diagnostic = {
      message,
      ...(options.location ? { location: options.location } : {}),
    };
    super(formatDiagnostic(own), ExitCode.config, options);
    this.location = options.location;
    this.problems = options.problems ?? [own];
  }

  /** One error for several problems: the first line counts them, then one line each. */
  static of(problems: readonly Diagnostic[], options: DevaipodErrorOptions = {}): ConfigError {
    const [first] = problems;
    if (problems.length === 1 && first) {
      return new ConfigError(first.message, {
        ...options,
        ...(first.location ? { location: first.location } : {}),
      });
    }
    const file = first?.location?.file;
    return new ConfigError(
      `${problems.length} problems${file ? ` in ${file}` : ""}:\n  ${
        problems.map(formatDiagnostic).join("\n  ")
      }`,
      { ...options, problems },
    );
  }
}

/** podman cannot be found (or the toolbox bridge to the host's podman). Exit 4. */
export class PodmanMissingError extends DevaipodError {
  override readonly name = "PodmanMissingError";
  readonly program: string;
  constructor(program: string, options: DevaipodErrorOptions = {}) {
    super(`cannot run '${program}': not found`, ExitCode.podmanMissing, {
      hint: "install podman (4.3 or newer, e.g. `apt-get install podman`), " +
        "or point DEVAIPOD_PODMAN at its binary",
      ...options,
    });
    this.program = program;
  }
}

/** How many trailing stderr lines a podman failure keeps. */
export const STDERR_TAIL_LINES = 12;

/** Keeps the last `n` non-empty lines of a process's stderr. */
export function tailLines(text: string, n = STDERR_TAIL_LINES): string[] {
  return text.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l !== "").slice(-n);
}

/** podman ran and exited with a code that the command does not accept. Exit 5. */
export class PodmanFailedError extends DevaipodError {
  override readonly name = "PodmanFailedError";
  readonly argv: readonly string[];
  readonly code: number;
  readonly stderrTail: readonly string[];
  constructor(
    argv: readonly string[],
    code: number,
    stderr: string,
    options: DevaipodErrorOptions = {},
  ) {
    const tail = tailLines(stderr);
    const last = tail.at(-1);
    super(
      `podman failed (exit ${code}): ${formatArgv(argv)}` +
        (last ? `\n  ${tail.join("\n  ")}` : ""),
      ExitCode.podmanFailed,
      options,
    );
    this.argv = argv;
    this.code = code;
    this.stderrTail = tail;
  }
}

/** podman succeeded but printed something its schema does not accept. Exit 5. */
export class PodmanOutputError extends DevaipodError {
  override readonly name = "PodmanOutputError";
  readonly argv: readonly string[];
  constructor(argv: readonly string[], problem: string, options: DevaipodErrorOptions = {}) {
    super(`unexpected output from ${formatArgv(argv)}: ${problem}`, ExitCode.podmanFailed, {
      hint: "this podman version may be unsupported; `devaipod doctor` checks it",
      ...options,
    });
    this.argv = argv;
  }
}

/** A named thing (workspace, image, file) does not exist. Exit 6. */
export class NotFoundError extends DevaipodError {
  override readonly name = "NotFoundError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.notFound, options);
  }
}

/** A download failed, or its content does not match the pinned integrity. Exit 7. */
export class DownloadError extends DevaipodError {
  override readonly name = "DownloadError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.download, options);
  }
}

/** Deno's permissions do not cover an operation. Exit 8. */
export class PermissionError extends DevaipodError {
  override readonly name = "PermissionError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.permission, options);
  }
}

/**
 * The operation conflicts with the current state of something that exists: a workspace that
 * already exists, is running (or is not), a port already in use. Exit 9.
 *
 * @example
 * ```ts
 * throw new ConflictError("workspace 'demo' already exists", {
 *   hint: "`devaipod delete demo` removes it; --name picks another name",
 * });
 * ```
 */
export class ConflictError extends DevaipodError {
  override readonly name = "ConflictError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.conflict, options);
  }
}

/**
 * This host lacks something devaipod needs: a program other than podman (git, tar, ssh), an
 * environment variable such as HOME. Exit 10. (podman itself missing is a
 * {@link PodmanMissingError}, exit 4.)
 */
export class EnvironmentError extends DevaipodError {
  override readonly name = "EnvironmentError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.environment, options);
  }
}

/** A check or operation failed for a reason without a more specific class. Exit 1. */
export class FailedError extends DevaipodError {
  override readonly name = "FailedError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.failure, options);
  }
}

/** Something did not finish in the time it was given. Exit 12. */
export class TimeoutError extends DevaipodError {
  override readonly name = "TimeoutError";
  constructor(message: string, options: DevaipodErrorOptions = {}) {
    super(message, ExitCode.timeout, options);
  }
}

/** The user interrupted the operation. Exit 130. */
export class InterruptedError extends DevaipodError {
  override readonly name = "InterruptedError";
  constructor(options: DevaipodErrorOptions = {}) {
    super("interrupted", ExitCode.interrupted, options);
  }
}

/** Quotes an argv for display the way a POSIX shell would read it back. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** Quotes one word for a POSIX shell; words of safe characters stay bare. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Turns anything thrown into a {@link DevaipodError}: Deno's permission errors become
 * {@link PermissionError}, anything unknown an exit-1 error that keeps the original as cause.
 */
export function toDevaipodError(err: unknown): DevaipodError {
  if (err instanceof DevaipodError) return err;
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return new PermissionError(err.message.replace(/, run again with.*$/s, ""), {
      hint: "run devaipod through `deno task devaipod` or the compiled binary, " +
        "which grant the permissions it needs",
      cause: err,
    });
  }
  if (err instanceof Deno.errors.Interrupted) return new InterruptedError({ cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new FailedError(`unexpected error: ${message}`, {
    hint: "this is a bug in devaipod; rerun with --verbose and report the output",
    cause: err,
  });
}
