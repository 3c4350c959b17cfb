/**
 * What `devaipod list` does (loaded only when it runs, and kept light: one podman call).
 */
import { LABELS, ROLES } from "../labels.ts";
import { podName } from "../plan/pod_plan.ts";
import { containerPs } from "../podman/container.ts";
import type { ContainerListEntry } from "../podman/schemas.ts";
import { quadletWorkspaces } from "../pods/quadlet_workspace.ts";
import { processUid, quadletHost } from "../quadlet/install.ts";
import type { CliContext } from "./context.ts";
import { renderTable } from "./table.ts";
import { devaipodDirs } from "../paths.ts";

function age(created: string | undefined, now = Date.now()): string {
  const t = created ? Date.parse(created) : NaN;
  if (Number.isNaN(t)) return "?";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** `(healthy)`, `(unhealthy)`, `(starting)` as podman's status text says, else unknown. */
function healthFromStatus(status: string | undefined): string {
  const m = /\((healthy|unhealthy|starting)\)/.exec(status ?? "");
  return m?.[1] ?? "unknown";
}

/** One row of `list --json`. */
export interface ListRow {
  name: string;
  pod: string;
  state: string;
  agent: { state: string; health: string };
  project: string | null;
  task: string | null;
  image: string | null;
  created: string | null;
  /** Who runs it: devaipod through podman, systemd from Quadlet units, or a Kubernetes cluster. */
  backend: "podman" | "quadlet" | "kube";
  /** Kube workspaces: where they live. */
  context?: string;
  namespace?: string;
}

/**
 * Rows for `list`, from one `podman ps` of every container labelled with a workspace: the
 * infra container carries the pod's labels and state, the agent container its health.
 */
export function listRows(
  containers: readonly ContainerListEntry[],
  quadlet: readonly string[] = [],
): ListRow[] {
  const units = new Set(quadlet);
  const groups = new Map<string, ContainerListEntry[]>();
  for (const c of containers) {
    const ws = c.Labels[LABELS.workspace];
    if (ws) groups.set(ws, [...(groups.get(ws) ?? []), c]);
  }
  // A stopped Quadlet workspace has no container: its units are what list shows.
  for (const ws of units) if (!groups.has(ws)) groups.set(ws, []);
  return [...groups].map(([workspace, members]): ListRow => {
    const infra = members.find((c) => c.IsInfra === true);
    const agent = members.find((c) => c.Labels[LABELS.role] === ROLES.agent);
    const running = members.filter((c) => c.State === "running").length;
    const state = members.length === 0
      ? "stopped"
      : !infra
      ? "incomplete"
      : infra.State !== "running"
      ? infra.State
      : running === members.length
      ? "running"
      : "degraded";
    const created = typeof infra?.Created === "number"
      ? new Date(infra.Created * 1000).toISOString()
      : null;
    return {
      name: workspace,
      pod: podName(workspace),
      state,
      agent: {
        state: agent?.State ?? "missing",
        health: agent?.State === "running" ? healthFromStatus(agent.Status) : "-",
      },
      project: infra?.Labels[LABELS.project] ?? null,
      task: infra?.Labels[LABELS.task] ?? null,
      image: infra?.Labels[LABELS.image] ?? null,
      created,
      backend: units.has(workspace) ? "quadlet" : "podman",
    };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

/** `devaipod list`. */
export async function listAction(
  ctx: CliContext,
  options: { json?: boolean; backend?: string },
): Promise<void> {
  const only = options.backend;
  const local = async () => {
    if (only === "kube") return [];
    const [containers, quadlet] = await Promise.all([
      ctx.podman.run(containerPs({ [LABELS.workspace]: true })),
      quadletWorkspaces(quadletHost(ctx.deps.env, processUid()).unitDir),
    ]);
    return listRows(containers, quadlet).filter((r) => !only || r.backend === only);
  };
  const kube = async (): Promise<ListRow[]> => {
    if (only && only !== "kube") return [];
    // Loaded only where this host made a kube workspace.
    const { kubeRecords } = await import("../kube/records.ts");
    if (!(await kubeRecords(devaipodDirs(ctx.deps.env).state)).length) return [];
    const { kubeListRows } = await import("./kube_actions.ts");
    return await kubeListRows(ctx);
  };
  const [podmanRows, kubeRows] = await Promise.all([local(), kube()]);
  const rows = [...podmanRows, ...kubeRows].sort((a, b) => a.name.localeCompare(b.name));
  if (options.json) return ctx.json(rows);
  if (rows.length === 0) {
    ctx.info("no workspaces; `devaipod up` starts one");
    return;
  }
  const table = [
    ["NAME", "STATE", "AGENT", "AGE", "PROJECT", "TASK"],
    ...rows.map((r) => [
      r.name,
      r.backend === "podman" ? r.state : `${r.state} (${r.backend})`,
      r.agent.state === "running" ? r.agent.health : r.agent.state,
      age(r.created ?? undefined),
      r.project ?? "",
      (r.task ?? "").split("\n")[0]?.slice(0, 40) ?? "",
    ]),
  ];
  for (const line of renderTable(table)) ctx.out(line);
}
