/**
 * Removing what devaipod made: one function, used by `delete` (and so `rebuild`), by `up` for
 * the leftovers of an unfinished run and its rollback, and by the tests' cleanup. The order is
 * the one in which nothing is still in use when it goes: the pods (with their members), the
 * containers outside them, the secrets they held, the networks they were on, and last, only
 * when asked, the volumes. Workspace volumes hold the user's files and the agent's home: they
 * survive everything except an explicit `delete --volumes`.
 */
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import type { WorkspaceObjects } from "./inventory.ts";

/** Options of {@link removeWorkspaceObjects}. */
export interface RemoveOptions {
  /**
   * Remove the named volumes too (the workspace's files, the agent's home): only
   * `delete --volumes` and the tests' cleanup ask for this. Required, so no caller forgets.
   */
  volumes: boolean;
  /** Run even after the user pressed Ctrl-C (undoing what an interrupted `up` made). */
  cleanup?: boolean;
  /**
   * When given, a removal that fails is reported here and the others still run (a rollback
   * removes what it can); without it the first failure throws and nothing after it runs.
   */
  onError?: (what: string, err: unknown) => void;
}

/** What {@link removeWorkspaceObjects} removed, by kind (names; container IDs), and kept. */
export interface RemovedObjects {
  pods: string[];
  containers: string[];
  secrets: string[];
  networks: string[];
  volumes: string[];
  /** The volumes left in place: all of them unless `volumes` was asked. */
  keptVolumes: string[];
}

/**
 * Removes `found` (from `workspaceObjects` or `labelledObjects`) in a safe order:
 * `pod rm` for each pod (its members go with it), one `container rm` for the containers
 * outside those pods, one `secret rm`, one `network rm`, and one `volume rm` only when
 * `options.volumes` is true. Kinds with nothing to remove run no command.
 *
 * @example
 * ```ts
 * const found = await workspaceObjects(podman, "web-ab12");
 * const { keptVolumes } = await removeWorkspaceObjects(podman, found, { volumes: false });
 * ```
 */
export async function removeWorkspaceObjects(
  podman: Podman,
  found: WorkspaceObjects,
  options: RemoveOptions,
): Promise<RemovedObjects> {
  const runOptions = options.cleanup ? { cleanup: true } : {};
  const removed: RemovedObjects = {
    pods: [],
    containers: [],
    secrets: [],
    networks: [],
    volumes: [],
    keptVolumes: [],
  };
  /** Runs one removal; true when it succeeded (a failure throws unless `onError` takes it). */
  const attempt = async (what: string, command: p.PodmanCommand<void>): Promise<boolean> => {
    try {
      await podman.run(command, runOptions);
      return true;
    } catch (err) {
      if (!options.onError) throw err;
      options.onError(what, err);
      return false;
    }
  };
  for (const pod of found.pods) {
    if (await attempt(`pod ${pod.Name}`, p.podRm(pod.Name, { force: true, timeoutSeconds: 0 }))) {
      removed.pods.push(pod.Name);
    }
  }
  // Members of the pods above went with them; the rest (behind the proxy: the agent and the
  // proxy, which are no pod members) are removed here.
  const stray = found.containers
    .filter((c) => !found.pods.some((pod) => pod.Id === c.Pod))
    .map((c) => c.Id);
  if (
    stray.length &&
    await attempt(
      `containers ${stray.join(", ")}`,
      p.containerRm(stray, { force: true, timeoutSeconds: 0 }),
    )
  ) removed.containers.push(...stray);
  const secrets = found.secrets.map((s) => s.Spec.Name);
  if (secrets.length && await attempt(`secrets ${secrets.join(", ")}`, p.secretRm(secrets))) {
    removed.secrets.push(...secrets);
  }
  const networks = found.networks.map((n) => n.name);
  if (
    networks.length &&
    await attempt(`networks ${networks.join(", ")}`, p.networkRm(networks, { force: true }))
  ) removed.networks.push(...networks);
  const volumes = found.volumes.map((v) => v.Name);
  if (!options.volumes) {
    removed.keptVolumes.push(...volumes);
  } else if (volumes.length) {
    if (await attempt(`volumes ${volumes.join(", ")}`, p.volumeRm(volumes, { force: true }))) {
      removed.volumes.push(...volumes);
    } else {
      removed.keptVolumes.push(...volumes);
    }
  }
  return removed;
}

/** Whether {@link removeWorkspaceObjects} removed anything. */
export function removedAny(removed: RemovedObjects): boolean {
  return removed.pods.length + removed.containers.length + removed.secrets.length +
      removed.networks.length + removed.volumes.length > 0;
}
