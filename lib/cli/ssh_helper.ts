/**
 * `devaipod ssh-helper MODE …` (hidden): the compiled binary's way to run the SSH bridge's helper
 * inside a workspace container (sftp, tcp and unix forwarding); from sources the bridge runs
 * `lib/ssh/in_container.ts` directly.
 */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { DevaipodError } from "../errors.ts";

/** Builds the `ssh-helper` command. */
export function sshHelperCommand(): CommandUnknownOpts {
  return new Command("ssh-helper")
    .description(
      "the SSH bridge's helper in a workspace container: sftp | tcp HOST PORT | unix PATH",
    )
    .argument("<args...>", "mode and its arguments")
    .action(async (args) => {
      const { runHelper } = await import("../ssh/in_container.ts");
      const code = await runHelper(args);
      if (code !== 0) throw new DevaipodError(`ssh-helper exited ${code}`, code, { silent: true });
    });
}
