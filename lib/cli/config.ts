/** `devaipod config [PATH] [--json] [--devcontainer PATH|NAME]`: the resolved devcontainer.json. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `config` command. */
export function configCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("config")
    .description(
      "resolve a project's devcontainer.json: validate it, substitute variables, show the result",
    )
    .argument("[path]", "project folder", ".")
    .option(
      "--devcontainer <path|name>",
      "a devcontainer.json path, or the name of .devcontainer/<name>/",
    )
    .option("--json", "print the resolved configuration as one JSON object on stdout")
    .option("--user", "print the effective user config (devaipod.toml) instead, secrets redacted")
    .option(
      "--merged",
      "also merge the image's devcontainer.metadata label (reads the local image; needs podman)",
    )
    .addHelpText(
      "after",
      "\nWith --json, `configuration` equals the `configuration` of\n" +
        "`devcontainer read-configuration --workspace-folder PATH` (the reference implementation).",
    )
    .action(async (path, options) => {
      const { configAction } = await import("./config_action.ts");
      await configAction(ctx, path, options);
    });
}
