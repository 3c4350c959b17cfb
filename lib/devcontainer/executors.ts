/**
 * Where lifecycle commands run: on the host (`initializeCommand`) or in a container through
 * `podman exec`. Host commands always go through `/bin/sh`, so devaipod needs permission to
 * run one program only; an exec-form array still runs without shell interpretation
 * (`sh -c 'exec "$@"' sh ARGV…` passes each word through untouched).
 */
import type { Podman } from "../podman/driver.ts";
import { containerExec } from "../podman/container.ts";
import type { CommandExecutor } from "./lifecycle.ts";
import { runProcess } from "../util/process.ts";

/** The shell host commands run through. */
export const HOST_SHELL = "/bin/sh";

/** The host argv for a lifecycle argv: shell strings as they are, exec arrays via `exec "$@"`. */
export function hostArgv(argv: readonly string[]): string[] {
  if (argv[0] === HOST_SHELL && argv[1] === "-c" && argv.length === 3) return [...argv];
  return [HOST_SHELL, "-c", 'exec "$@"', "sh", ...argv];
}

/** Runs commands on the host in `cwd`. */
export function hostExecutor(cwd: string): CommandExecutor {
  return (argv) => {
    const [program, ...args] = hostArgv(argv) as [string, ...string[]];
    return runProcess(program, args, { cwd });
  };
}

/**
 * Runs commands in a running container (as `user`, in `workdir`, with `env`); `wrap` turns each
 * command into the one that runs (the workspace's secrets loader).
 */
export function containerExecutor(
  podman: Podman,
  container: string,
  options: {
    user?: string;
    workdir?: string;
    env?: Readonly<Record<string, string>>;
    wrap?: (argv: readonly string[]) => string[];
  } = {},
): CommandExecutor {
  const { wrap, ...rest } = options;
  return (argv) =>
    podman.run(containerExec({ container, command: wrap ? wrap(argv) : [...argv], ...rest }));
}
