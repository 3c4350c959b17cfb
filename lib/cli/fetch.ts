/** `devaipod fetch NAME [--json]`: the agent's branch into the human's repository, like `git fetch`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `fetch` command. */
export function fetchCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("fetch")
    .description(
      "fetch the agent's branch into the workspace's repository as agent/devaipod/NAME, like `git fetch` (no merge, no checkout)",
    )
    .argument(
      "<name>",
      "workspace name (the devaipod- prefix is optional; a unique prefix will do)",
    )
    .option(
      "--project <name>",
      "a further project of the workspace (its folder's name under /workspaces)",
    )
    .option("--json", "print the fetched ref and commit as JSON on stdout")
    .addHelpText(
      "after",
      "\nLike `git fetch`: it writes the one ref refs/remotes/agent/devaipod/NAME in the repository\n" +
        "of the workspace folder, and touches nothing else (no merge, no checkout, no change to your\n" +
        "working tree or index). The agent's clone is read as data: its hooks, config and links never\n" +
        "act. Uncommitted work stays behind (`devaipod diff NAME` shows it).\n" +
        "Then, in the workspace: `git log -p HEAD..agent/devaipod/NAME`, `git merge agent/devaipod/NAME`.",
    )
    .action(async (name, options) => {
      const { fetchAction } = await import("./agent_work_actions.ts");
      await fetchAction(ctx, name, options);
    });
}
