/**
 * The devcontainer.json a workspace was made from, read again: `start` runs its postStart hooks
 * and `ssh` its postAttach hooks from it. The pod records the project folder and the config
 * file (`up --devcontainer` may have chosen one of several).
 */
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { LABELS } from "../labels.ts";
import type { PodListEntry } from "../podman/mod.ts";

/**
 * The workspace's config resolved now, with `hostEnv` for `${localEnv:…}`; undefined when the pod
 * records no project folder or the config no longer resolves (its hooks are then skipped).
 */
export async function recordedConfig(
  pod: PodListEntry,
  hostEnv: Readonly<Record<string, string>>,
): Promise<ResolvedConfig | undefined> {
  const folder = pod.Labels[LABELS.project];
  if (!folder) return undefined;
  const devcontainer = pod.Labels[LABELS.configFile];
  return await resolveDevcontainer({
    folder,
    env: hostEnv,
    ...(devcontainer ? { devcontainer } : {}),
  }).catch(() => undefined);
}
