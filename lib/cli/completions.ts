/**
 * Shell completions (bash, zsh, fish, powershell) through @bomb.sh/tab: `devaipod completion
 * SHELL` prints the script; the script calls `devaipod complete -- WORDS…` at each TAB, which
 * answers commands, flags and the names of existing workspaces. Loaded only for those two.
 */
import tab from "@bomb.sh/tab/commander";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { Command as PlainCommand } from "commander";
import { LABELS } from "../labels.ts";
import { containerPs } from "../podman/container.ts";
import type { CliContext } from "./context.ts";

/** Commands whose first argument is a workspace name. */
const TAKES_A_NAME = [
  "status",
  "logs",
  "exec",
  "attach",
  "ssh",
  "ssh-config",
  "diff",
  "fetch",
  "rebuild",
  "stop",
  "start",
  "delete",
  "allow",
  "egress",
  "verify",
];

/** The names of existing workspaces (none when podman cannot answer: completion must not fail). */
async function workspaceNames(ctx: CliContext): Promise<string[]> {
  try {
    const rows = await ctx.podman.run(containerPs({ [LABELS.workspace]: true }), {
      timeoutMs: 3000,
    });
    return [
      ...new Set(
        rows.flatMap((
          r,
        ) => (r.Labels[LABELS.workspace] ? [r.Labels[LABELS.workspace] as string] : [])),
      ),
    ].sort();
  } catch {
    return [];
  }
}

/** Wires completions into the program before it parses `completion …` or `complete …`. */
export async function installCompletions(
  program: CommandUnknownOpts,
  ctx: CliContext,
  answering: boolean,
): Promise<void> {
  const completion = tab(program as unknown as PlainCommand, {
    completionCommandName: "completion",
  });
  if (!answering) return;
  const names = await workspaceNames(ctx);
  for (const command of TAKES_A_NAME) {
    const argument = completion.commands.get(command)?.arguments.get("name");
    if (argument) argument.handler = (complete) => names.forEach((n) => complete(n, "workspace"));
  }
}
