/**
 * Deleting a workspace: everything labelled with it ({@link removeWorkspaceObjects}), its state
 * folder and its Host block in the managed ssh config. Its volumes (the user's files, the
 * agent's home) stay unless asked for. Names are exact, never a prefix.
 */
import { ConflictError, NotFoundError } from "../errors.ts";
import { LABELS } from "../labels.ts";
import type { Podman } from "../podman/mod.ts";
import { hostAlias, removeHostBlock } from "../ssh/ssh_config.ts";
import {
  bareName,
  checkName,
  exactWorkspace,
  isEmpty,
  listPods,
  noExactWorkspace,
  workspaceObjects,
} from "./inventory.ts";
import { removeWorkspaceObjects } from "./remove.ts";
import { quadletWorkspace, removeQuadletUnits } from "./quadlet_workspace.ts";
import type { Systemd } from "../systemd/systemd.ts";
import { workspaceDirs } from "./state.ts";

/** What {@link deleteWorkspace} needs from its surroundings. */
export interface DeleteDeps {
  podman: Podman;
  /** devaipod's state directory (the workspace's folder under it goes too). */
  stateDir: string;
  /** The managed ssh config file (`config.d/devaipod`); undefined: none to clean (no HOME). */
  sshConfig?: string | undefined;
  /** Warnings that do not stop the delete (stderr). */
  warn: (line: string) => void;
  /** This host's Quadlet units and the systemd that runs them (Quadlet workspaces). */
  quadlet?: { systemd: Systemd; unitDir: string };
}

/** Options of {@link deleteWorkspace}. */
export interface DeleteOptions {
  /** Remove a running workspace too. */
  force?: boolean;
  /** Remove its named volumes too. */
  volumes?: boolean;
  /** Keep its state folder (`rebuild`: a URL source's clone and the allowlist). */
  keepState?: boolean;
}

/** What {@link deleteWorkspace} did, for the message. */
export interface DeleteResult {
  /** The volumes that stay (none after `volumes`). */
  keptVolumes: string[];
  /** The volumes removed (only with `volumes`). */
  removedVolumes: string[];
  /** The ssh config file the workspace's Host block was removed from; undefined: it had none. */
  sshConfigCleaned?: string;
}

/**
 * The workspace label that `name` deletes: a pod's workspace whose name is exactly `name` (as
 * given, else without `devaipod-`), else the name (as given, else bare) that labels the objects
 * of a workspace whose pod is gone (an interrupted up). A prefix is a {@link NotFoundError}
 * whose hint lists the workspaces it would have matched; an invalid name a usage error.
 */
export async function deletableWorkspace(
  podman: Podman,
  name: string,
  unitDir?: string,
): Promise<string> {
  checkName(bareName(name));
  const pods = await listPods(podman);
  const found = exactWorkspace(pods, name)?.Labels[LABELS.workspace];
  if (found !== undefined) return found;
  for (const candidate of new Set([name, bareName(name)])) {
    if (!isEmpty(await workspaceObjects(podman, candidate))) return candidate;
  }
  // A stopped Quadlet workspace whose volumes are gone is its units alone.
  const q = unitDir ? await quadletWorkspace(unitDir, name) : undefined;
  if (q) return q.workspace;
  throw noExactWorkspace(pods, name);
}

/**
 * Deletes the workspace whose label is exactly `workspace` (no `devaipod-` is stripped: `rebuild`
 * passes the label it found): its pod, containers, secrets and networks, its volumes only with
 * `volumes`, its state folder unless `keepState`, and its ssh Host block. A running one needs
 * `force` ({@link ConflictError}); a name nothing is labelled with is a {@link NotFoundError}.
 *
 * @example
 * ```ts
 * const { keptVolumes } = await deleteWorkspace(deps, "web-ab12", { force: true });
 * ```
 */
export async function deleteWorkspace(
  deps: DeleteDeps,
  workspace: string,
  options: DeleteOptions,
): Promise<DeleteResult> {
  checkName(workspace);
  let found = await workspaceObjects(deps.podman, workspace);
  const q = deps.quadlet ? await quadletWorkspace(deps.quadlet.unitDir, workspace) : undefined;
  if (isEmpty(found) && !q) {
    throw new NotFoundError(`no workspace named '${workspace}'`, {
      hint: "`devaipod list` shows the workspaces",
    });
  }
  if (q && deps.quadlet) {
    // systemd runs it: its units go first (stopping the pod's service removes the containers).
    await removeQuadletUnits(deps.quadlet.systemd, q, { force: options.force === true });
    found = await workspaceObjects(deps.podman, workspace);
  } else if (
    found.pods.some((pod) => pod.Status.toLowerCase() === "running") && !options.force
  ) {
    throw new ConflictError(`workspace ${workspace} is running`, {
      hint: `\`devaipod stop ${workspace}\` first, or \`devaipod delete -f ${workspace}\``,
    });
  }
  const removed = await removeWorkspaceObjects(deps.podman, found, {
    volumes: options.volumes === true,
  });
  if (!options.keepState) {
    await Deno.remove(workspaceDirs(deps.stateDir, workspace).root, { recursive: true })
      .catch(() => {});
  }
  const sshConfig = deps.sshConfig;
  const cleaned = sshConfig !== undefined &&
    await removeHostBlock(sshConfig, workspace).catch((err) => {
      deps.warn(`warning: cannot remove ${hostAlias(workspace)} from ${sshConfig}: ${err}`);
      return false;
    });
  return {
    keptVolumes: removed.keptVolumes,
    removedVolumes: removed.volumes,
    ...(cleaned && sshConfig !== undefined ? { sshConfigCleaned: sshConfig } : {}),
  };
}
