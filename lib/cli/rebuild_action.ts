/** What `devaipod rebuild` does: delete (keeping volumes), then `up` the same project and name. */
import { join } from "node:path";
import { FailedError, NotFoundError } from "../errors.ts";
import * as p from "../podman/mod.ts";
import { devaipodDirs } from "../paths.ts";
import { workspaceDirs } from "../pods/state.ts";
import { LABELS, ROLES } from "../labels.ts";
import { findWorkspace, workspaceContainers } from "../pods/inventory.ts";
import type { CliContext } from "./context.ts";
import { resolveProject, upAction } from "./up_action.ts";
import { deleteAction } from "./workspace_actions.ts";

/** Options of `devaipod rebuild`. */
export interface RebuildOptions {
  image?: string;
  prompt: boolean;
}

/** Recreates the containers; the volumes (the project's files, the agent's home) are adopted again. */
export async function rebuildAction(
  ctx: CliContext,
  name: string,
  options: RebuildOptions,
): Promise<void> {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const project = pod.Labels[LABELS.project];
  if (!project) throw new FailedError(`workspace ${workspace} does not record its project folder`);
  const isolated = (await workspaceContainers(ctx.podman, workspace)).has(ROLES.proxy);
  const task = pod.Labels[LABELS.task];
  // Hosts added with `allow` survive the rebuild.
  const allowFile = join(workspaceDirs(devaipodDirs(ctx.deps.env).state, workspace).root, "allow");
  const allowed = isolated
    ? await Deno.readTextFile(allowFile).then(
      (t) => t.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean),
      () => [],
    )
    : [];
  // Check what can fail before anything is removed: the config must resolve and the image must be
  // there (or pullable). A workspace started with --image and no devcontainer.json keeps its image.
  const fallback = options.image ?? pod.Labels[LABELS.image];
  const resolved = await resolveProject(ctx, project, fallback ? { image: fallback } : {});
  const image = options.image ?? (resolved ? undefined : pod.Labels[LABELS.image]);
  const runs = image ?? (resolved?.source.kind === "image" ? resolved.source.image : undefined);
  if (runs && !(await ctx.podman.run(p.imageExists(runs)))) {
    ctx.info(`pull ${runs}`);
    try {
      await ctx.podman.run(p.imagePull(runs));
    } catch (err) {
      throw new NotFoundError(
        `image ${runs} is not available: it is not in local storage and cannot be pulled`,
        { hint: `check the name; workspace ${workspace} was left as it was`, cause: err },
      );
    }
  }
  ctx.info(`rebuild ${workspace}: new containers from ${project}; the volumes stay`);
  await deleteAction(ctx, workspace, { force: true });
  await upAction(ctx, project, task, {
    name: workspace,
    ...(image ? { image } : {}),
    prompt: options.prompt && task !== undefined,
    readyTimeout: 120,
    networkIsolation: isolated ? "on" : "off",
    ...(isolated
      ? { allow: allowed, egressNetwork: pod.Labels[LABELS.egressNetwork] ?? "podman" }
      : {}),
  });
}
