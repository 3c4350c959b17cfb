/** `devaipod runtime-image [REGISTRY]`: the image a cluster's Pods copy devaipod's side from. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `runtime-image` command. */
export function runtimeImageCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("runtime-image")
    .description(
      "build devaipod's runtime image (its code and the agent binary, for Pods on nodes " +
        "without this host's files) and push it to REGISTRY; prints its reference",
    )
    .argument("[registry]", "where to push it: host[:port][/path] (without: build only)")
    .option("--json", "print {local, ref} on stdout")
    .action(async (registry, options) => {
      const { runtimeImageAction } = await import("./runtime_image_action.ts");
      await runtimeImageAction(ctx, registry, options);
    });
}
