/**
 * `devaipod gator NAME [show|add|remove] [SCOPE…] [--json]`, and the hidden `gator-serve` (the
 * compiled binary's gator sidecar; from sources the sidecar runs the gator's bundle).
 */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** The gator's entry point, relative to this module (`deno compile --include`s it). */
const GATOR_MODULE = "../gator/main.ts";

/** Builds the `gator` command. */
export function gatorCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("gator")
    .description(
      "show or change what a workspace's gator lets the agent do on GitHub, GitLab, Forgejo and JIRA (no restart)",
    )
    .argument("<name>", "workspace name")
    .argument("[action]", "show (default), add or remove")
    .argument(
      "[scopes...]",
      "SERVICE:TARGET=PERMISSION[,…], e.g. github:octo/demo=read,create-draft",
    )
    .option("--json", "print the workspace's gator as JSON on stdout")
    .action(async (name, action, scopes, options) => {
      const { gatorAction } = await import("./gator_action.ts");
      await gatorAction(ctx, name, action ?? "show", scopes, options);
    });
}

/** Builds the hidden `gator-serve` command (the sidecar's program, in the compiled binary). */
export function gatorServeCommand(): CommandUnknownOpts {
  return new Command("gator-serve")
    .description("run the gator MCP server (the gator sidecar runs this)")
    .helpOption(false)
    .allowUnknownOption()
    .argument(
      "[flags...]",
      "--listen, --secret-file, --scopes-file, --tokens-dir, --endpoint, --ca-file",
    )
    .action(async (flags) => {
      // Not a literal: the gator (and the MCP SDK under it) stays out of the CLI's module graph,
      // which Deno loads, with its npm packages, at every start. `deno compile` is told to
      // include it (scripts/compile.ts).
      const entry = GATOR_MODULE;
      const { main } = await import(entry) as { main(argv: readonly string[]): void };
      main(flags);
      // Serves until stopped.
      await new Promise(() => {});
    });
}
