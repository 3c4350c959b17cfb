/** `devaipod ssh NAME [-- CMD…]`: a shell in the workspace (through podman exec for now). */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `ssh` command. */
export function sshCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("ssh")
    .description("open a shell (or run a command) in the workspace; runs postAttachCommand first")
    .argument("<name>", "workspace name")
    .argument("[command...]", "the command and its arguments (after --)")
    .action(async (name, command) => {
      const { sshAction } = await import("./workspace_actions.ts");
      await sshAction(ctx, name, command);
    });
}
