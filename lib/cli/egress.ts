/** `devaipod egress NAME [--json] [--denied]`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `egress` command. */
export function egressCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("egress")
    .description(
      "list the egress proxy's connections for a workspace's agent: open tunnels, closed ones with their totals, refusals",
    )
    .argument("<name>", "workspace name")
    .option("--denied", "only refusals")
    .option("--json", "print the connections as JSON on stdout")
    .action(async (name, options) => {
      const { egressAction } = await import("./egress_actions.ts");
      await egressAction(ctx, name, options);
    });
}
