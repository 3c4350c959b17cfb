/** `devaipod delete NAME [-f] [--volumes]`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `delete` command. */
export function deleteCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("delete")
    .alias("rm")
    .description(
      "remove a workspace's pod, containers and secrets; its volumes stay unless --volumes",
    )
    .argument("<name>", "the exact workspace name (never a prefix)")
    .option("-f, --force", "also when it is running")
    .option(
      "--volumes",
      "also remove its volumes: the workspace's files and the agent's home (cannot be undone)",
    )
    .action(async (name, options) => {
      const { deleteAction } = await import("./workspace_actions.ts");
      await deleteAction(ctx, name, options);
    });
}
