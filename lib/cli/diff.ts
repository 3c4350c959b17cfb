/** `devaipod diff NAME [--stat] [--json]`: what the agent did, read without running its code. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `diff` command. */
export function diffCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("diff")
    .description(
      "show what the agent committed on its branch (since the commit it started from) and what it left uncommitted; runs nothing from its repository",
    )
    .argument(
      "<name>",
      "workspace name (the devaipod- prefix is optional; a unique prefix will do)",
    )
    .option("--stat", "files and line counts only (git diff --stat)")
    .option(
      "--project <name>",
      "a further project of the workspace (its folder's name under /workspaces)",
    )
    .option("--json", "print the commits and changes as JSON on stdout")
    .addHelpText(
      "after",
      "\nThe patches go to stdout (`devaipod diff NAME > agent.patch`), the headings to stderr.\n" +
        "The agent's clone is read as data: its hooks, config, attributes and links never act.\n" +
        "`devaipod fetch NAME` brings its commits into your repository.",
    )
    .action(async (name, options) => {
      const { diffAction } = await import("./agent_work_actions.ts");
      await diffAction(ctx, name, options);
    });
}
