/** `devaipod verify NAME [--json]`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `verify` command. */
export function verifyCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("verify")
    .description(
      "probe the agent's sandbox from inside: network escapes, capabilities, secrets (exit 1 on any escape)",
    )
    .argument("<name>", "workspace name")
    .option("--json", "print the probes as JSON on stdout")
    .action(async (name, options) => {
      const { verifyAction } = await import("./egress_actions.ts");
      await verifyAction(ctx, name, options);
    });
}
