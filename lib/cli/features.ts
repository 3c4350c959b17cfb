/** `devaipod features resolve|pull [FOLDER] [--json]`: a project's Features, ahead of `up`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `features` command. */
export function featuresCommand(ctx: CliContext): CommandUnknownOpts {
  const features = new Command("features")
    .description("resolve a project's Dev Container Features, or fill the cache for an offline up");
  features.command("resolve")
    .description("show the Features in install order, with digests and options")
    .argument("[folder]", "project folder", ".")
    .option("--devcontainer <file>", "which devcontainer.json (for several)")
    .option("--json", "print them as JSON on stdout")
    .action(async (folder, options) => {
      const { featuresAction } = await import("./features_action.ts");
      await featuresAction(ctx, "resolve", folder, options);
    });
  features.command("pull")
    .description("fetch every Feature into the cache and write devcontainer-lock.json")
    .argument("[folder]", "project folder", ".")
    .option("--devcontainer <file>", "which devcontainer.json (for several)")
    .option("--json", "print what was fetched as JSON on stdout")
    .action(async (folder, options) => {
      const { featuresAction } = await import("./features_action.ts");
      await featuresAction(ctx, "pull", folder, options);
    });
  return features;
}
