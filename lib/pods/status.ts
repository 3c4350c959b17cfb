/**
 * What `devaipod status` reports about one workspace, gathered now: its labels, containers,
 * volumes and secrets, a live agent health check, the agent's work and the proxy's egress
 * counts. The shape is the `status --json` contract; the CLI only prints it.
 */
import { taskOutcome } from "./agent_task.ts";
import { builtinProfile } from "../agents/profiles.ts";
import { LABELS, ROLES } from "../labels.ts";
import * as p from "../podman/mod.ts";
import type { ContainerListEntry, PodListEntry, Podman } from "../podman/mod.ts";
import { egressCounts } from "../proxy/egress_log.ts";
import { formatScope } from "../gator/scopes.ts";
import { parseScopesFile } from "../gator/scopes_file.ts";
import { workspaceDirs } from "./state.ts";
import { agentEndpoint } from "./agent_endpoint.ts";
import { probeHealth } from "./agent_http.ts";
import { agentWorkSummary, projectNames } from "./agent_work.ts";
import type { AgentWorkSummary } from "./agent_work.ts";
import { byRole, workspaceObjects, workspaceOf } from "./inventory.ts";
import { proxyConnections } from "./egress.ts";
import { readSourceRecord } from "./remote_source.ts";
import type { SourceRecord } from "./remote_source.ts";

/** One container in {@link WorkspaceStatus}. */
export interface ContainerStatus {
  name: string;
  state: string;
  status: string | null;
}

/** `devaipod status --json`: one workspace in detail. */
export interface WorkspaceStatus {
  name: string;
  pod: string;
  /** The pod's state, lower case (`running`, `exited`, …). */
  state: string;
  project: string | null;
  /** A multi-project workspace's further projects: their names under /workspaces. */
  projects: string[];
  source: SourceRecord | null;
  image: string | null;
  task: string | null;
  created: string | null;
  /** Whether the agent runs behind the egress proxy. */
  isolated: boolean;
  ports: { host: string; container: number }[];
  /** The proxy's counts; null without isolation. */
  egress: { allowed: number; denied: number; open: number } | null;
  /** The gator's scopes now; null when the workspace has no gator. */
  gator: { scopes: string[] } | null;
  /** By role; the proxy exists only behind isolation. */
  containers: {
    workspace: ContainerStatus | null;
    agent: ContainerStatus | null;
    proxy: ContainerStatus | null;
    gator: ContainerStatus | null;
  };
  agent: {
    /** Its profile (`opencode`, `claude`, …). */
    profile: string;
    /** A CLI agent's task: none given, running, done or failed; null for opencode or when stopped. */
    task: "none" | "running" | "done" | "failed" | null;
    healthy: boolean;
    health: "stopped" | "healthy" | "unhealthy";
    /** The agent's server as the host reaches it (null behind the proxy, or when stopped). */
    url: string | null;
    work: AgentWorkSummary;
  };
  volumes: { name: string; role: string | null }[];
  /** How many secrets the workspace holds (never their names' values). */
  secrets: number;
}

/**
 * Gathers the status of the workspace whose pod is `pod`. The agent's health is checked now:
 * through the port the pod publishes, or behind the proxy by the agent's own health check.
 */
export async function workspaceStatus(
  podman: Podman,
  pod: PodListEntry,
  /** The workspace's state folder under which the gator's scopes file is. */
  stateDir: string,
): Promise<WorkspaceStatus> {
  const workspace = workspaceOf(pod);
  const objects = await workspaceObjects(podman, workspace);
  const containers = byRole(objects.containers);
  const agent = containers.get(ROLES.agent);
  const proxy = containers.get(ROLES.proxy);
  const isolated = proxy !== undefined;
  const gator = containers.get(ROLES.gator);
  const gatorFile = workspaceDirs(stateDir, workspace).gatorScopes;
  // Behind the proxy the host cannot reach the agent: its own health check answers.
  const endpoint = agent?.State === "running" && !isolated
    ? await agentEndpoint(podman, containers.get(ROLES.workspace))
    : undefined;
  const healthy = agent?.State !== "running"
    ? false
    : isolated
    ? await podman.run(p.healthcheckRun(agent.Id)).catch(() => false)
    : endpoint
    ? await probeHealth(endpoint)
    : false;
  const work = await agentWorkSummary(podman, workspace, pod.Name, containers.get(ROLES.workspace));
  const profile = pod.Labels[LABELS.agent] ?? "opencode";
  const cli = agent?.Labels[LABELS.agentAttach] !== undefined;
  const task = cli && agent?.State === "running"
    ? (await taskOutcome(podman, agent.Id, builtinProfile(profile)?.output ?? "text")
      .catch(() => undefined))?.state ?? null
    : null;
  return {
    name: workspace,
    pod: pod.Name,
    state: pod.Status.toLowerCase(),
    project: pod.Labels[LABELS.project] ?? null,
    projects: projectNames(pod.Labels[LABELS.projects]),
    source: readSourceRecord(pod.Labels) ?? null,
    image: pod.Labels[LABELS.image] ?? null,
    task: pod.Labels[LABELS.task] ?? null,
    created: pod.Created ?? null,
    isolated,
    ports: (pod.Labels[LABELS.ports] ?? "").split(",").filter(Boolean).map((port) => ({
      host: `127.0.0.1:${port}`,
      container: Number(port),
    })),
    egress: proxy ? egressCounts(await proxyConnections(podman, proxy.Id)) : null,
    gator: gator
      ? {
        scopes: await Deno.readTextFile(gatorFile).then(
          (text) => parseScopesFile(text, gatorFile).map(formatScope),
          () => [],
        ),
      }
      : null,
    containers: {
      workspace: containerStatus(containers.get(ROLES.workspace)),
      agent: containerStatus(agent),
      proxy: containerStatus(proxy),
      gator: containerStatus(gator),
    },
    agent: {
      profile,
      task,
      healthy,
      health: agent?.State !== "running" ? "stopped" : healthy ? "healthy" : "unhealthy",
      url: endpoint?.url ?? null,
      work,
    },
    volumes: objects.volumes.map((v) => ({ name: v.Name, role: v.Labels[LABELS.role] ?? null })),
    secrets: objects.secrets.length,
  };
}

function containerStatus(c: ContainerListEntry | undefined): ContainerStatus | null {
  return c ? { name: c.Names[0] ?? c.Id, state: c.State, status: c.Status ?? null } : null;
}
