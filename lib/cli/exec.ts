/** `devaipod exec NAME [-c ROLE] [-- CMD…]`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `exec` command. */
export function execCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("exec")
    .description(
      "run a command in a workspace's container (a login shell without one; interactive on a terminal)",
    )
    .argument("<name>", "workspace name")
    .argument("[command...]", "the command and its arguments (after --)")
    .option("-c, --container <role>", "workspace, agent, proxy or gator", "workspace")
    .action(async (name, command, options) => {
      const { execAction } = await import("./workspace_actions.ts");
      await execAction(ctx, name, command, options);
    });
}
