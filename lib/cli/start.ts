/** `devaipod start NAME`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `start` command. */
export function startCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("start")
    .description("start a stopped workspace, wait for its agent, run postStartCommand")
    .argument("<name>", "workspace name")
    .option("--ready-timeout <seconds>", "how long to wait for the agent", "120")
    .action(async (name, options) => {
      const { startAction } = await import("./workspace_actions.ts");
      await startAction(ctx, name, { readyTimeout: Number(options.readyTimeout) });
    });
}
