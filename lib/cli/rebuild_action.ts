/** What `devaipod rebuild` does: delete (keeping volumes), then `up` the same project and name. */
import { join } from "node:path";
import { FailedError } from "../errors.ts";
import { prepareImage } from "../pods/up.ts";
import { allowFileLines } from "../proxy/allow_file.ts";
import { devaipodDirs } from "../paths.ts";
import { workspaceDirs } from "../pods/state.ts";
import { LABELS, ROLES } from "../labels.ts";
import { findWorkspaceExact, workspaceContainers } from "../pods/inventory.ts";
import { readSourceRecord } from "../pods/remote_source.ts";
import type { CliContext } from "./context.ts";
import { Progress } from "./progress.ts";
import { resolveProject, upAction } from "./up_action.ts";
import { deleteWorkspace } from "./workspace_actions.ts";

/** Options of `devaipod rebuild`. */
export interface RebuildOptions {
  image?: string;
  prompt: boolean;
}

/**
 * Recreates the containers; the volumes (the project's files, the agent's home) are adopted again.
 * NAME is exact (as given, else without `devaipod-`), never a prefix.
 */
export async function rebuildAction(
  ctx: CliContext,
  name: string,
  options: RebuildOptions,
): Promise<void> {
  const pod = await findWorkspaceExact(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const project = pod.Labels[LABELS.project];
  if (!project) throw new FailedError(`workspace ${workspace} does not record its project folder`);
  const isolated = (await workspaceContainers(ctx.podman, workspace)).has(ROLES.proxy);
  const task = pod.Labels[LABELS.task];
  // Hosts added with `allow` survive the rebuild.
  const allowFile = join(workspaceDirs(devaipodDirs(ctx.deps.env).state, workspace).root, "allow");
  const allowed = isolated ? await Deno.readTextFile(allowFile).then(allowFileLines, () => []) : [];
  // Check what can fail before anything is removed: the config must resolve and the image must be
  // there (pulled or built). A workspace started with --image and no devcontainer.json keeps its
  // image.
  const fallback = options.image ?? pod.Labels[LABELS.image];
  // The devcontainer.json the workspace was made from, also when `up --devcontainer` chose it.
  const configFile = pod.Labels[LABELS.configFile];
  const resolved = await resolveProject(ctx, project, {
    ...(fallback ? { image: fallback } : {}),
    ...(configFile ? { devcontainer: configFile } : {}),
  });
  const image = options.image ?? (resolved ? undefined : pod.Labels[LABELS.image]);
  // Pulls or builds now (a Dockerfile's image is then reused by `up`); the old containers still run.
  try {
    await prepareImage(
      {
        podman: ctx.podman,
        progress: new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet }),
      },
      resolved,
      image,
      workspace,
    );
  } catch (err) {
    ctx.err(`rebuild: workspace ${workspace} was left as it was`);
    throw err;
  }
  const recorded = readSourceRecord(pod.Labels);
  ctx.info(
    `rebuild ${workspace}: new containers from ${recorded?.url ?? project}; the volumes stay`,
  );
  // The state folder stays: it holds a URL source's clone and the allowlist.
  await deleteWorkspace(ctx, workspace, { force: true, keepState: true });
  await upAction(ctx, project, task, {
    ...(recorded ? { recorded } : {}),
    ...(pod.Labels[LABELS.sourceTrusted] === "true" ? { trustSource: true } : {}),
    name: workspace,
    ...(image ? { image } : {}),
    ...(configFile ? { devcontainer: configFile } : {}),
    prompt: options.prompt && task !== undefined,
    readyTimeout: 120,
    networkIsolation: isolated ? "on" : "off",
    ...(isolated
      ? { allow: allowed, egressNetwork: pod.Labels[LABELS.egressNetwork] ?? "podman" }
      : {}),
  });
}
