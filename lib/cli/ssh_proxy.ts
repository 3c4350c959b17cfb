/** `devaipod ssh-proxy NAME` (hidden): ssh's ProxyCommand, an SSH server on stdin/stdout. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { DevaipodError } from "../errors.ts";
import { devaipodDirs } from "../paths.ts";
import type { CliContext } from "./context.ts";

/** Builds the `ssh-proxy` command. */
export function sshProxyCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("ssh-proxy")
    .description("serve SSH for a workspace on stdin/stdout (the ProxyCommand of ssh-config)")
    .argument("<name>", "workspace name")
    .option(
      "--user <user>",
      "sessions run as this user (default: the client's user name when the workspace has it, else its remoteUser)",
    )
    .action(async (name, options) => {
      const { readKubeRecord } = await import("../kube/records.ts");
      const record = await readKubeRecord(devaipodDirs(ctx.deps.env).state, name);
      const { runBridge } = await import("../ssh/bridge.ts");
      // A kube workspace: the sessions go through the cluster's exec.
      const kube = record ? (await import("./kube_actions.ts")).kubeBridge(ctx, record) : undefined;
      const code = await runBridge(ctx, name, options.user ? { user: options.user } : {}, kube)
        .finally(() => kube?.close());
      if (code !== 0) {
        throw new DevaipodError(`ssh-proxy exited with code ${code}`, code, { silent: true });
      }
    });
}
