/**
 * Stopping a workspace: its volumes and state stay, `start` brings it back. Behind the egress
 * proxy the agent and the proxy are not pod members, so they stop on their own; the order is
 * the reverse of `startWorkspace`'s (start.ts): agent, pod, proxy.
 */
import { ROLES } from "../labels.ts";
import * as p from "../podman/mod.ts";
import type { PodListEntry, Podman } from "../podman/mod.ts";
import { workspaceContainers, workspaceOf } from "./inventory.ts";

/** Seconds each container gets after the stop signal before it is killed. */
export const STOP_TIMEOUT_SECONDS = 5;

/**
 * Stops the workspace whose pod is `pod`: the running agent outside the pod first (it loses
 * nothing it still reaches), then the pod, then the running proxy (the agent's only way out)
 * and any other running container of the workspace outside the pod.
 *
 * @example
 * ```ts
 * await stopWorkspace(podman, await findWorkspace(podman, "web"));
 * ```
 */
export async function stopWorkspace(podman: Podman, pod: PodListEntry): Promise<void> {
  const containers = await workspaceContainers(podman, workspaceOf(pod));
  const outside = [...containers.values()].filter((c) => !c.Pod && c.State === "running");
  const agent = outside.filter((c) => c.Id === containers.get(ROLES.agent)?.Id);
  const rest = outside.filter((c) => !agent.includes(c));
  const stop = (id: string) =>
    podman.run(p.containerStop(id, { timeoutSeconds: STOP_TIMEOUT_SECONDS }));
  for (const c of agent) await stop(c.Id);
  await podman.run(p.podStop(pod.Name, { timeoutSeconds: STOP_TIMEOUT_SECONDS }));
  for (const c of rest) await stop(c.Id);
}
