/** `devaipod agent-client` (hidden): the compiled binary's way to reach an agent from the proxy sidecar. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `agent-client` command: `{url, password, task?}` on stdin, the answer on stdout. */
export function agentClientCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("agent-client")
    .description("probe an agent or send it a task: JSON request on stdin, JSON answer on stdout")
    .action(async () => {
      const { runAgentClient } = await import("../pods/agent_client.ts");
      const input = await new Response(Deno.stdin.readable).text();
      ctx.out(JSON.stringify(await runAgentClient(JSON.parse(input))));
    });
}
