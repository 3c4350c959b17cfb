/**
 * Runs `verify`'s port probe (lib/pods/verify_port.ts): a listener in the workspace, the agent's
 * attempts at every address of the pod, then the workspace's way to the agent.
 */
import { LABELS, ROLES } from "../labels.ts";
import { AGENT_HOST, AGENT_PORT, podName, PROXY_HOST, PROXY_PORT } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import type { ContainerListEntry, Podman } from "../podman/mod.ts";
import { parseProbeOutput } from "./verify.ts";
import type { Probe } from "./verify.ts";
import {
  AGENT_TRY_SCRIPT,
  judgePort,
  LISTEN_START_SCRIPT,
  LISTEN_STOP_SCRIPT,
  listenerArgv,
  REACH_AGENT_SCRIPT,
} from "./verify_port.ts";

/** Where the port probe runs, and what the agent tries. */
export interface PortProbeTargets {
  /** The agent's container: the attempts run there, as its user. */
  agent: string;
  /** The workspace's container: the listener runs there, and it reaches for the agent. */
  workspace: string;
  /** The argv of the listener ({@link listenerArgv} of the workspace's mounts). */
  listener: readonly string[] | undefined;
  /** Every address and name of the pod the agent could know. */
  addresses: readonly string[];
  /** The agent's URL as the workspace sees it. */
  agentUrl: string;
}

/**
 * The addresses and names of a pod the agent could know: loopback, the pod's name and host name,
 * `more` names, and its infra container's address on each of its networks.
 */
export async function podAddresses(
  podman: Podman,
  pod: string,
  more: readonly string[] = [],
): Promise<string[]> {
  const [inspected] = await podman.run(p.podInspect(pod));
  const ips = inspected?.InfraContainerID
    ? await podman.run({
      argv: [
        "container",
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
        inspected.InfraContainerID,
      ],
      parse: (out) => out.stdout.trim().split(/\s+/).filter(Boolean),
    })
    : [];
  return [
    ...new Set([
      "127.0.0.1",
      "localhost",
      ...(inspected?.Hostname ? [inspected.Hostname] : []),
      pod,
      ...more,
      ...ips,
    ]),
  ];
}

/** Runs the port probe; the listener is stopped even when a step fails. */
export async function portProbes(podman: Podman, t: PortProbeTargets): Promise<Probe[]> {
  const file = `/tmp/devaipod-verify-port-${crypto.randomUUID().slice(0, 12)}.log`;
  const sh = (container: string, script: string, ...args: string[]) =>
    podman.run(p.containerExec({
      container,
      command: ["sh", "-c", script, "devaipod-verify", ...args],
    }));
  const values: Record<string, string> = {};
  if (!t.listener) {
    values.listen_error =
      "devaipod's runtime is not mounted in the workspace (`rebuild` mounts it)";
    return judgePort(values, t.addresses);
  }
  const started = await sh(t.workspace, LISTEN_START_SCRIPT, file, ...t.listener);
  Object.assign(values, parseProbeOutput(started.stdout));
  if (values.listen_port) {
    try {
      const tried = await sh(
        t.agent,
        AGENT_TRY_SCRIPT,
        values.listen_port,
        `http://${PROXY_HOST}:${PROXY_PORT}`,
        ...t.addresses,
      );
      Object.assign(values, parseProbeOutput(tried.stdout));
    } finally {
      const stopped = await sh(t.workspace, LISTEN_STOP_SCRIPT, values.listen_pid ?? "", file);
      Object.assign(values, parseProbeOutput(stopped.stdout));
    }
  } else if (!values.listen_error) {
    values.listen_error = (started.stderr || started.stdout).trim().split("\n").at(-1) ?? "";
  }
  const reached = await sh(t.workspace, REACH_AGENT_SCRIPT, t.agentUrl);
  Object.assign(values, parseProbeOutput(reached.stdout));
  return judgePort(values, t.addresses);
}

/** The port probe of a workspace made by `up`: its workspace and agent containers, its pod. */
export async function workspacePortProbes(
  podman: Podman,
  containers: ReadonlyMap<string, ContainerListEntry>,
): Promise<Probe[]> {
  const ws = containers.get(ROLES.workspace);
  const agent = containers.get(ROLES.agent);
  if (ws?.State !== "running" || agent?.State !== "running") {
    return [{ id: "port", ok: false, detail: "not probed: the workspace or the agent is stopped" }];
  }
  const [inspected] = await podman.run(p.containerInspect(ws.Id));
  const pod = ws.PodName || podName(ws.Labels[LABELS.workspace] ?? "");
  return await portProbes(podman, {
    agent: agent.Id,
    workspace: ws.Id,
    listener: listenerArgv(inspected?.Mounts.map((m) => m.Destination) ?? []),
    addresses: await podAddresses(
      podman,
      pod,
      [inspected?.Name ?? ws.Names[0] ?? ""].filter(Boolean),
    ),
    agentUrl: `http://${AGENT_HOST}:${AGENT_PORT}`,
  });
}
