/**
 * The lifecycle model of the Dev Container spec:
 *
 * - `initializeCommand` runs on the host on every `up`, before anything is built;
 * - `onCreateCommand`, `updateContentCommand`, `postCreateCommand` run once per container;
 * - `postStartCommand` on every start; `postAttachCommand` on every attach.
 *
 * A string runs through `/bin/sh -c`; an array runs as-is, without a shell; an object's named
 * commands run in parallel, all awaited, failing if any fails, their output buffered and
 * prefixed by name. The first failing hook stops the hooks after it. `waitFor` (default
 * `updateContentCommand`) is the last hook that must finish before the container is ready.
 */
import { DevaipodError, ExitCode } from "../errors.ts";
import type { HookName, LifecycleCommandInput } from "./schema.ts";
import { HOOK_NAMES } from "./schema.ts";

/** One runnable command: its argv and how it was written. */
export interface CommandArgv {
  /** `shell`: a string run with `/bin/sh -c`; `exec`: an array run without a shell. */
  form: "shell" | "exec";
  argv: string[];
}

/** A normalised lifecycle command. */
export type LifecycleCommand =
  | ({ kind: "single" } & CommandArgv)
  | { kind: "parallel"; commands: ({ name: string } & CommandArgv)[] };

/** A hook's command with where it came from (image metadata entries have ids; devcontainer.json does not). */
export interface LifecycleStep {
  hook: HookName;
  origin: string;
  command: LifecycleCommand;
}

/** The hook `waitFor` defaults to. */
export const DEFAULT_WAIT_FOR: HookName = "updateContentCommand";

function single(input: string | readonly string[]): CommandArgv | undefined {
  if (typeof input === "string") {
    return input.trim() === "" ? undefined : { form: "shell", argv: ["/bin/sh", "-c", input] };
  }
  return input.length === 0 ? undefined : { form: "exec", argv: [...input] };
}

/** Normalises one hook's value; empty commands (``""``, `[]`, `{}`) are no command. */
export function normalizeCommand(
  input: LifecycleCommandInput | undefined,
): LifecycleCommand | undefined {
  if (input === undefined) return undefined;
  if (typeof input === "string" || Array.isArray(input)) {
    const cmd = single(input as string | string[]);
    return cmd && { kind: "single", ...cmd };
  }
  const commands = Object.entries(input).flatMap(([name, value]) => {
    const cmd = single(value);
    return cmd ? [{ name, ...cmd }] : [];
  });
  return commands.length === 0 ? undefined : { kind: "parallel", commands };
}

/** The steps of every hook, in hook order and, within a hook, in the order given. */
export function lifecycleSteps(
  sources: readonly { origin: string; hooks: Partial<Record<HookName, LifecycleCommandInput>> }[],
): LifecycleStep[] {
  const steps: LifecycleStep[] = [];
  for (const hook of HOOK_NAMES) {
    for (const source of sources) {
      const command = normalizeCommand(source.hooks[hook]);
      if (command) steps.push({ hook, origin: source.origin, command });
    }
  }
  return steps;
}

/** Which hooks run for an event in a container's life. */
export function hooksFor(event: "up" | "create" | "start" | "attach"): HookName[] {
  switch (event) {
    case "up":
      return ["initializeCommand"];
    case "create":
      return [
        "onCreateCommand",
        "updateContentCommand",
        "postCreateCommand",
        "postStartCommand",
        "postAttachCommand",
      ];
    case "start":
      return ["postStartCommand", "postAttachCommand"];
    case "attach":
      return ["postAttachCommand"];
  }
}

/** Splits container hooks at `waitFor`: those before readiness, and those that may run after. */
export function splitAtWaitFor(
  steps: readonly LifecycleStep[],
  waitFor: HookName = DEFAULT_WAIT_FOR,
): { beforeReady: LifecycleStep[]; afterReady: LifecycleStep[] } {
  const limit = HOOK_NAMES.indexOf(waitFor);
  return {
    beforeReady: steps.filter((s) => HOOK_NAMES.indexOf(s.hook) <= limit),
    afterReady: steps.filter((s) => HOOK_NAMES.indexOf(s.hook) > limit),
  };
}

/** What running one command gave. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one argv somewhere (the host, or `podman exec` in a container). */
export type CommandExecutor = (argv: readonly string[]) => Promise<CommandResult>;

/** A hook failed: which, what it ran, how it exited, and what it printed last. Exit 1. */
export class HookFailedError extends DevaipodError {
  override readonly name = "HookFailedError";
  readonly hook: HookName;
  readonly command: string;
  readonly code: number;
  readonly output: string;
  constructor(hook: HookName, command: string, code: number, output: string) {
    super(`${hook} failed with exit code ${code}: ${command}`, ExitCode.failure, {
      ...(output.trim()
        ? { hint: `its last output: ${output.trim().split("\n").slice(-3).join(" | ")}` }
        : {}),
    });
    this.hook = hook;
    this.command = command;
    this.code = code;
    this.output = output;
  }
}

/** How a command is shown in messages: the shell string itself, or the argv. */
export function displayCommand(cmd: CommandArgv): string {
  return cmd.form === "shell" ? (cmd.argv[2] ?? "") : JSON.stringify(cmd.argv);
}

function prefixed(name: string, text: string): string {
  return text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1).map((l) =>
    `[${name}] ${l}`
  ).join("\n");
}

/**
 * Runs steps in order with `exec`, reporting each command's output through `output`. A
 * parallel step runs its commands at once and waits for all; the first failure stops the run
 * with {@link HookFailedError}.
 */
export async function runSteps(
  steps: readonly LifecycleStep[],
  exec: CommandExecutor,
  output: (text: string) => void = () => {},
): Promise<void> {
  for (const step of steps) {
    const { command } = step;
    if (command.kind === "single") {
      const r = await exec(command.argv);
      const text = r.stdout + r.stderr;
      if (text) output(text);
      if (r.code !== 0) throw new HookFailedError(step.hook, displayCommand(command), r.code, text);
      continue;
    }
    const results = await Promise.all(
      command.commands.map(async (c) => ({ c, r: await exec(c.argv) })),
    );
    for (const { c, r } of results) {
      const text = prefixed(c.name, r.stdout + r.stderr);
      if (text) output(`${text}\n`);
    }
    const failed = results.find(({ r }) => r.code !== 0);
    if (failed) {
      throw new HookFailedError(
        step.hook,
        `${failed.c.name}: ${displayCommand(failed.c)}`,
        failed.r.code,
        failed.r.stdout + failed.r.stderr,
      );
    }
  }
}
