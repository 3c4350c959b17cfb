/**
 * `devaipod ssh NAME [--no-bridge] [-- CMD…]`: a shell in the workspace, through the system ssh
 * and the SSH bridge when ssh is on PATH, else through podman exec.
 */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `ssh` command. */
export function sshCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("ssh")
    .description(
      "open a shell (or run a command) in the workspace, through ssh and the SSH bridge when " +
        "ssh is on PATH; runs postAttachCommand first",
    )
    .argument("<name>", "workspace name")
    .argument("[command...]", "the command and its arguments (after --)")
    .option("--no-bridge", "use podman exec even when ssh is on PATH")
    .action(async (name, command, options) => {
      const { sshAction } = await import("./workspace_actions.ts");
      await sshAction(ctx, name, command, options);
    });
}
