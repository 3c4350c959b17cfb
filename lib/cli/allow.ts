/** `devaipod allow NAME HOST…`. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `allow` command. */
export function allowCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("allow")
    .description(
      "let a workspace's agent reach more hosts (host, host:port, *.domain, http://host), without a restart",
    )
    .argument("<name>", "workspace name")
    .argument("<hosts...>", "allowlist entries")
    .action(async (name, hosts) => {
      const { allowAction } = await import("./egress_actions.ts");
      await allowAction(ctx, name, hosts);
    });
}
