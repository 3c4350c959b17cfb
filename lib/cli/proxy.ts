/** `devaipod proxy`: the egress proxy the agent's sidecar runs (hidden from the main help). */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `proxy` command. */
export function proxyCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("proxy")
    .description("run the allowlist egress proxy (one JSON line per decision on stdout)")
    .option("--listen <host:port>", "address to listen on", "0.0.0.0:3128")
    .option("--allow-file <path>", "allowlist file, one entry per line, re-read when it changes")
    .option("--allow <entry...>", "allowlist entries (host, host:port, *.domain, http://host, IP)")
    .option(
      "--relay <listen=target...>",
      "plain TCP relays, each LISTEN=TARGET as host:port (the workspace's way to the agent)",
    )
    .option(
      "--own-subnet <cidr...>",
      "the workspace's own networks: never connected into, nor loopback, whatever the allowlist says",
    )
    .option("--providers-listen <host:port>", "serve the LLM provider endpoints on this address")
    .option("--provider <id=keyfile...>", "a provider endpoint and the file holding its key")
    .option("--provider-upstream <id=url...>", "send a provider's calls here instead")
    .option("--provider-ca <file>", "more CA certificates (PEM) to trust for provider calls")
    .option("--head-timeout <ms>", "how long a request head may take", "10000")
    .option("--idle-timeout <ms>", "idle tunnels are closed after this long", "600000")
    .option("--max-tunnels <n>", "tunnels open at once", "1024")
    .action(async (options) => {
      const { proxyAction } = await import("./proxy_action.ts");
      await proxyAction(ctx, options);
    });
}
