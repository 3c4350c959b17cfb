/** `devaipod stop NAME`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `stop` command. */
export function stopCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("stop")
    .description("stop a workspace (its files and the agent's home stay)")
    .argument("<name>", "workspace name")
    .action(async (name) => {
      const { stopAction } = await import("./workspace_actions.ts");
      await stopAction(ctx, name);
    });
}
