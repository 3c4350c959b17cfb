/**
 * Where the host reaches a workspace's agent: the port the pod publishes for it on 127.0.0.1 and
 * the password the workspace container holds. Only without the egress proxy: behind it the host
 * cannot reach the agent at all (its own health check answers instead).
 */
import * as p from "../podman/mod.ts";
import type { ContainerListEntry, Podman } from "../podman/mod.ts";
import { AGENT_PORT, PASSWORD_FILE } from "../plan/pod_plan.ts";
import type { AgentEndpoint } from "./agent_http.ts";

/**
 * The agent's endpoint as seen from the host, read through the running workspace container
 * (`podman port`, and `cat` of the password file); undefined when the workspace container is not
 * running or either read fails.
 */
export async function agentEndpoint(
  podman: Podman,
  workspace: ContainerListEntry | undefined,
): Promise<AgentEndpoint | undefined> {
  if (workspace?.State !== "running") return undefined;
  const [port, pw] = await Promise.all([
    podman.run(p.containerPort(workspace.Id, AGENT_PORT)).catch(() => undefined),
    podman.run(p.containerExec({ container: workspace.Id, command: ["cat", PASSWORD_FILE] })),
  ]);
  if (!port || pw.code !== 0) return undefined;
  return { url: `http://127.0.0.1:${port.port}`, password: pw.stdout.trim() };
}
