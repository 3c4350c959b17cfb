/** `devaipod status NAME [--json]`: one workspace in detail, with a live agent health check. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `status` command. */
export function statusCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("status")
    .description("show a workspace: containers, agent health (checked now), volumes, task")
    .argument(
      "<name>",
      "workspace name (the devaipod- prefix is optional; a unique prefix will do)",
    )
    .option("--json", "print the status as JSON on stdout")
    .action(async (name, options) => {
      const { statusAction } = await import("./workspace_actions.ts");
      await statusAction(ctx, name, options);
    });
}
