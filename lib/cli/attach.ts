/** `devaipod attach NAME`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `attach` command. */
export function attachCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("attach")
    .description(
      "open the agent's own interface: opencode's TUI, or a CLI agent's (Claude Code, Codex, …) in its container, resuming its task",
    )
    .argument("<name>", "workspace name")
    .option("--print", "print the command it would run, and run nothing")
    .action(async (name, options) => {
      const { attachAction } = await import("./workspace_actions.ts");
      await attachAction(ctx, name, options);
    });
}
