/**
 * What devaipod has made, found by label: workspaces (pods), their containers, volumes and
 * secrets. Names are resolved with or without the `devaipod-` prefix; commands that only look
 * or enter also by unique prefix ({@link findWorkspace}), commands that destroy only by the
 * exact name ({@link findWorkspaceExact}).
 */
import { FailedError, NotFoundError, UsageError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { containerPs } from "../podman/container.ts";
import type { LabelFilter } from "../podman/command.ts";
import type { Podman } from "../podman/driver.ts";
import { podPs } from "../podman/pod.ts";
import { networkLs } from "../podman/network.ts";
import type {
  ContainerListEntry,
  NetworkInspect,
  PodListEntry,
  SecretInspect,
  VolumeInspect,
} from "../podman/schemas.ts";
import { listSecrets } from "../podman/secret.ts";
import { volumeLs } from "../podman/volume.ts";

/** A workspace's name without the `devaipod-` prefix. */
export function bareName(name: string): string {
  return name.startsWith("devaipod-") ? name.slice("devaipod-".length) : name;
}

/** Valid workspace names: lower-case letters, digits and dashes, starting with a letter or digit. */
export function checkName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new UsageError(`invalid workspace name '${name}'`, {
      hint: "use lower-case letters, digits and '-', starting with a letter or digit (at most 63)",
    });
  }
  return name;
}

/** A workspace name from a project folder's name plus a short random suffix. */
export function generateName(
  projectPath: string,
  random: () => string = () => crypto.randomUUID().slice(0, 4),
): string {
  const base = (projectPath.split("/").filter(Boolean).at(-1) ?? "workspace").toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "workspace";
  return `${base}-${random()}`;
}

/** The workspace a pod belongs to: its `io.devaipod.workspace` label, else the pod's name. */
export function workspaceOf(pod: PodListEntry): string {
  return pod.Labels[LABELS.workspace] ?? pod.Name;
}

/** The workspaces' pods. */
export function listPods(podman: Podman): Promise<PodListEntry[]> {
  return podman.run(podPs({ [LABELS.role]: ROLES.pod }));
}

/**
 * The workspace a user named: exact ({@link exactWorkspace}), else the one workspace whose name
 * starts with it. Several matches are a usage error listing them.
 */
export async function findWorkspace(podman: Podman, name: string): Promise<PodListEntry> {
  const wanted = checkName(bareName(name));
  const pods = await listPods(podman);
  const exact = exactWorkspace(pods, name);
  if (exact) return exact;
  const matches = pods.filter((p) => {
    const w = p.Labels[LABELS.workspace] ?? "";
    return w.startsWith(name) || w.startsWith(wanted);
  });
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1) {
    const names = matches.map((p) => p.Labels[LABELS.workspace]).sort();
    throw new UsageError(`'${name}' matches ${matches.length} workspaces: ${names.join(", ")}`, {
      hint: "give more of the name",
    });
  }
  throw new NotFoundError(`no workspace named '${name}'`, {
    hint: "`devaipod list` shows the workspaces",
  });
}

/**
 * The workspace whose name is exactly `name`, never a prefix: the name as given first (a
 * workspace may be called `devaipod-1a2b`), else without its `devaipod-` prefix.
 */
export function exactWorkspace(
  pods: readonly PodListEntry[],
  name: string,
): PodListEntry | undefined {
  return pods.find((p) => p.Labels[LABELS.workspace] === name) ??
    pods.find((p) => p.Labels[LABELS.workspace] === bareName(name));
}

/**
 * The error for a name that names no workspace exactly. Its hint lists the workspaces whose
 * names start with it (what a prefix would have picked), so the user can copy the full name.
 */
export function noExactWorkspace(pods: readonly PodListEntry[], name: string): NotFoundError {
  const candidates = pods.map((p) => p.Labels[LABELS.workspace] ?? "")
    .filter((w) => w !== "" && (w.startsWith(name) || w.startsWith(bareName(name)))).sort();
  if (!candidates.length) {
    return new NotFoundError(`no workspace named '${name}'`, {
      hint: "`devaipod list` shows the workspaces",
    });
  }
  return new NotFoundError(`no workspace named exactly '${name}'`, {
    hint: `this command takes the whole name, never a prefix: ${
      candidates.map((c) => `'${c}'`).join(", ")
    }`,
  });
}

/**
 * The workspace named exactly `name` ({@link exactWorkspace}), for commands that destroy
 * things (`delete`, `rebuild`): a prefix is a {@link NotFoundError} whose hint lists the
 * workspaces it would have matched.
 */
export async function findWorkspaceExact(podman: Podman, name: string): Promise<PodListEntry> {
  checkName(bareName(name));
  const pods = await listPods(podman);
  const pod = exactWorkspace(pods, name);
  if (!pod) throw noExactWorkspace(pods, name);
  return pod;
}

/** The containers of a workspace, by role. */
export async function workspaceContainers(
  podman: Podman,
  workspace: string,
): Promise<Map<string, ContainerListEntry>> {
  return byRole(await podman.run(containerPs({ [LABELS.workspace]: workspace })));
}

/** Containers by their `io.devaipod.role` label (those without one left out). */
export function byRole(rows: readonly ContainerListEntry[]): Map<string, ContainerListEntry> {
  return new Map(
    rows.flatMap((r) => (r.Labels[LABELS.role] ? [[r.Labels[LABELS.role] as string, r]] : [])),
  );
}

/** Everything labelled with one workspace. */
export interface WorkspaceObjects {
  pods: PodListEntry[];
  containers: ContainerListEntry[];
  volumes: VolumeInspect[];
  secrets: SecretInspect[];
  networks: NetworkInspect[];
}

/** Whether nothing is labelled with a workspace. */
export function isEmpty(found: WorkspaceObjects): boolean {
  return !found.pods.length && !found.containers.length && !found.secrets.length &&
    !found.volumes.length && !found.networks.length;
}

/**
 * Whether a workspace's objects make a workspace (a pod with its workspace and agent
 * containers), rather than the leftovers of an unfinished `up`.
 */
export function isComplete(found: Pick<WorkspaceObjects, "pods" | "containers">): boolean {
  const roles = new Set(found.containers.map((c) => c.Labels[LABELS.role]));
  return found.pods.length > 0 && roles.has(ROLES.workspace) && roles.has(ROLES.agent);
}

/**
 * Everything labelled with a workspace: pod, containers, volumes, secrets, networks. The name is
 * the label's value as is (no `devaipod-` stripped); an empty one throws
 * (podman's `label=K=` would match any value).
 */
export function workspaceObjects(
  podman: Podman,
  workspace: string,
): Promise<WorkspaceObjects> {
  return labelledObjects(podman, { [LABELS.workspace]: workspace });
}

/**
 * Every pod, container, volume, secret and network whose labels pass `filter` (a workspace's
 * label, or a test run's): what `removeWorkspaceObjects` (remove.ts) takes. An empty filter
 * throws: it would list everything podman has.
 */
export async function labelledObjects(
  podman: Podman,
  filter: LabelFilter,
): Promise<WorkspaceObjects> {
  if (Object.keys(filter).length === 0) {
    throw new FailedError("cannot list objects by label: the filter is empty");
  }
  const [pods, containers, volumes, secrets, networks] = await Promise.all([
    podman.run(podPs(filter)),
    podman.run(containerPs(filter)),
    podman.run(volumeLs(filter)),
    listSecrets(podman, filter),
    podman.run(networkLs(filter)),
  ]);
  return { pods, containers, volumes, secrets, networks };
}
