/** `devaipod list [--json] [--backend B]`: the workspaces, by label. */
import { Command, Option } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `list` command. */
export function listCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("list")
    .alias("ls")
    .description("list workspaces with their state, agent health, project, age and task")
    .option("--json", "print the list as JSON on stdout")
    .addOption(
      new Option("--backend <backend>", "only the workspaces of one backend")
        .choices(["podman", "quadlet", "kube"]),
    )
    .action(async (options) => {
      const { listAction } = await import("./list_action.ts");
      await listAction(ctx, options);
    });
}
