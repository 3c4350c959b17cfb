/** `devaipod doctor [--json] [--no-run]`: checks the host and says what to fix. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `doctor` command. */
export function doctorCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("doctor")
    .description("check podman, the OCI runtime, cgroups, networking and the agent binary cache")
    .option("--json", "print the report as JSON on stdout")
    .option("--no-run", "skip the end-to-end check that starts (and removes) an empty pod")
    .addHelpText(
      "after",
      "\nExit status: 0 when no check fails (warnings allowed), else the code of the first failure\n" +
        "(4: podman not found, 5: podman fails).",
    )
    .action(async (options) => {
      const { doctorAction } = await import("./doctor_action.ts");
      await doctorAction(ctx, options);
    });
}
