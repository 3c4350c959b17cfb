/**
 * The one place that starts podman processes. Everything else builds argv arrays
 * (see `command.ts`) and hands them to a {@link PodmanRunner}.
 */
import { PermissionError, PodmanMissingError } from "../errors.ts";

/** What a finished podman process left behind. */
export interface ProcessResult {
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Options of one podman run. */
export interface RunOptions {
  /** Bytes written to podman's stdin (then closed). Without it stdin is /dev/null. */
  stdin?: Uint8Array;
  /** Aborting kills the process. */
  signal?: AbortSignal;
}

/** Runs podman with argument arrays, never shell strings. */
export interface PodmanRunner {
  /** The program and leading arguments that stand for `podman` (e.g. `flatpak-spawn --host podman`). */
  readonly prefix: readonly string[];
  /** Runs podman with `args`, capturing stdout and stderr. */
  run(args: readonly string[], options?: RunOptions): Promise<ProcessResult>;
  /** Runs podman with the terminal's stdin/stdout/stderr (interactive exec, `logs -f`). */
  runInherited(args: readonly string[]): Promise<number>;
  /**
   * Starts podman with piped stdin, stdout and stderr (streams the caller relays, e.g. SSH
   * channels), with `env` added to its environment.
   */
  spawnPiped(args: readonly string[], env?: Readonly<Record<string, string>>): Deno.ChildProcess;
}

/** Reads environment variables; `Deno.env` fits. */
export interface EnvReader {
  get(name: string): string | undefined;
}

/** The file whose presence marks a toolbox (and distrobox-like) container. */
export const TOOLBOX_MARKER = "/run/.toolboxenv";

/**
 * Decides how podman is invoked: `DEVAIPOD_PODMAN` overrides the program; inside a toolbox
 * the host's podman is reached through `flatpak-spawn --host`.
 */
export function podmanPrefix(env: EnvReader, inToolbox: boolean): string[] {
  const program = env.get("DEVAIPOD_PODMAN")?.trim() || "podman";
  return inToolbox ? ["flatpak-spawn", "--host", program] : [program];
}

/** Whether this process runs inside a toolbox container. */
export function detectToolbox(
  exists: (path: string) => boolean = fileExists,
  env: EnvReader = Deno.env,
): boolean {
  // DEVAIPOD_TOOLBOX_MARKER moves the marker (tests fake a toolbox without touching /run).
  return exists(env.get("DEVAIPOD_TOOLBOX_MARKER") || TOOLBOX_MARKER);
}

/** Writes `data` to a child's stdin and closes it; a child that exits early is not an error. */
async function feedStdin(stdin: WritableStream<Uint8Array>, data: Uint8Array): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(data);
    await writer.close();
  } catch {
    // podman exited before reading all of stdin; its exit code tells what happened.
  }
}

function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A runner that starts real processes with `Deno.Command`. */
export class ProcessRunner implements PodmanRunner {
  readonly prefix: readonly string[];

  constructor(prefix: readonly string[]) {
    if (prefix.length === 0) throw new Error("podman prefix must name a program");
    this.prefix = prefix;
  }

  /** A runner configured from the environment (`DEVAIPOD_PODMAN`, toolbox detection). */
  static fromEnv(env: EnvReader = Deno.env, inToolbox = detectToolbox()): ProcessRunner {
    return new ProcessRunner(podmanPrefix(env, inToolbox));
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    const command = this.#command(args, {
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const child = this.#spawn(command);
    const feed = options.stdin ? feedStdin(child.stdin, options.stdin) : Promise.resolve();
    const [out] = await Promise.all([child.output(), feed]);
    return { code: out.code, stdout: out.stdout, stderr: out.stderr };
  }

  async runInherited(args: readonly string[]): Promise<number> {
    const command = this.#command(args, { stdin: "inherit", stdout: "inherit", stderr: "inherit" });
    const status = await this.#spawn(command).status;
    return status.code;
  }

  spawnPiped(
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
  ): Deno.ChildProcess {
    // Through flatpak-spawn the host's podman does not inherit this environment: name it there.
    const forward = this.prefix[0] === "flatpak-spawn"
      ? Object.entries(env).map(([k, v]) => `--env=${k}=${v}`)
      : [];
    const [program, ...lead] = this.prefix as [string, ...string[]];
    const command = new Deno.Command(program, {
      args: [...lead.slice(0, 1), ...forward, ...lead.slice(1), ...args],
      env: { ...env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    return this.#spawn(command);
  }

  #command(args: readonly string[], options: Deno.CommandOptions): Deno.Command {
    const [program, ...lead] = this.prefix as [string, ...string[]];
    return new Deno.Command(program, { ...options, args: [...lead, ...args] });
  }

  #spawn(command: Deno.Command): Deno.ChildProcess {
    try {
      return command.spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        const program = this.prefix[0] as string;
        throw new PodmanMissingError(program, {
          cause: err,
          ...(program === "flatpak-spawn"
            ? {
              hint:
                "inside a toolbox devaipod reaches the host's podman through flatpak-spawn; install it (package flatpak-xdg-utils)",
            }
            : {}),
        });
      }
      if (err instanceof Deno.errors.NotCapable) {
        const program = this.prefix[0] as string;
        throw new PermissionError(`not permitted to run '${program}'`, {
          hint:
            `devaipod may run podman as found on PATH; to use another binary, grant it: --allow-run=${program}`,
          cause: err,
        });
      }
      throw err;
    }
  }
}
