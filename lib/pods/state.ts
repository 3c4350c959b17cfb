/**
 * devaipod's per-workspace files on the host: the shims folder and the markers that say a
 * container's once-per-container hooks have run (keyed by container ID, so a recreated
 * container runs them again).
 */
import { join } from "node:path";

/** The folders of one workspace under devaipod's state directory. */
export function workspaceDirs(
  stateDir: string,
  workspace: string,
): { root: string; shims: string; hooks: string; gatorScopes: string } {
  const root = join(stateDir, "workspaces", workspace);
  return {
    root,
    shims: join(root, "shims"),
    hooks: join(root, "hooks"),
    gatorScopes: join(root, "gator-scopes"),
  };
}

/** Whether a container's create hooks have completed. */
export async function createHooksDone(hooksDir: string, containerId: string): Promise<boolean> {
  try {
    await Deno.stat(join(hooksDir, `${containerId}.created`));
    return true;
  } catch {
    return false;
  }
}

/** Records that a container's create hooks completed. */
export async function markCreateHooksDone(hooksDir: string, containerId: string): Promise<void> {
  await Deno.mkdir(hooksDir, { recursive: true });
  await Deno.writeTextFile(
    join(hooksDir, `${containerId}.created`),
    `${new Date().toISOString()}\n`,
  );
}
