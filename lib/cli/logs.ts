/** `devaipod logs NAME [-c workspace|agent] [-f] [-n N]`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `logs` command. */
export function logsCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("logs")
    .description("show a container's logs")
    .argument("<name>", "workspace name")
    .option(
      "-c, --container <role>",
      "workspace, agent, proxy (one JSON line per egress decision) or gator (one per tool call)",
      "agent",
    )
    .option("-f, --follow", "keep following")
    .option("-n, --tail <lines>", "only the last N lines")
    .action(async (name, options) => {
      const { logsAction } = await import("./workspace_actions.ts");
      await logsAction(ctx, name, options);
    });
}
