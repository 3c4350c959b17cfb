/** `devaipod ssh-config NAME [--write] [--json]`: the OpenSSH client settings of a workspace. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `ssh-config` command. */
export function sshConfigCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("ssh-config")
    .description(
      "print the ssh config block for `ssh NAME.devaipod` (through the SSH bridge); " +
        "--write keeps it in ~/.ssh/config.d/devaipod",
    )
    .argument("<name>", "workspace name")
    .option("--write", "add or replace the block in ~/.ssh/config.d/devaipod (never ~/.ssh/config)")
    .option("--json", "print the settings as JSON")
    .action(async (name, options) => {
      const { sshConfigAction } = await import("./ssh_config_action.ts");
      await sshConfigAction(ctx, name, options);
    });
}
