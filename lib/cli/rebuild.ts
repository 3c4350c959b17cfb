/** `devaipod rebuild NAME [--image IMG]`: new containers from the project's current config; volumes stay. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `rebuild` command. */
export function rebuildCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("rebuild")
    .description(
      "recreate a workspace's containers from its project's current config (or --image); its volumes, and so your work, stay",
    )
    .argument("<name>", "the exact workspace name (never a prefix)")
    .option("--image <image>", "run this image instead of the config's")
    .option("--no-prompt", "do not send the stored task again")
    .action(async (name, options) => {
      const { rebuildAction } = await import("./rebuild_action.ts");
      await rebuildAction(ctx, name, options);
    });
}
