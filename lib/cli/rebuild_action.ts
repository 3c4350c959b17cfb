/** What `devaipod rebuild` does: delete (keeping volumes), then `up` the same project and name. */
import { devaipodDirs } from "../paths.ts";
import { findWorkspaceExact } from "../pods/inventory.ts";
import { rebuildTarget } from "../pods/rebuild.ts";
import { quadletWorkspace } from "../pods/quadlet_workspace.ts";
import { processUid, quadletHost } from "../quadlet/install.ts";
import { prepareImage } from "../pods/image.ts";
import { buildFeatureImage } from "../pods/feature_image.ts";
import { configFeatures, hasFeatures } from "../features/config_features.ts";
import type { CliContext } from "./context.ts";
import { Progress } from "../util/progress.ts";
import { resolveProject, upAction } from "./up_action.ts";
import { deleteAndReport } from "./workspace_actions.ts";

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
  const target = await rebuildTarget(ctx.podman, devaipodDirs(ctx.deps.env).state, pod);
  const { workspace, project, task, configFile } = target;
  // systemd runs it: the new workspace is Quadlet units again.
  const quadlet = await quadletWorkspace(
    quadletHost(ctx.deps.env, processUid()).unitDir,
    workspace,
  );
  // Check what can fail before anything is removed: the config must resolve and the image must be
  // there (pulled or built). A workspace started with --image and no devcontainer.json keeps its
  // image.
  const fallback = options.image ?? target.image;
  const resolved = await resolveProject(ctx, project, {
    ...(fallback ? { image: fallback } : {}),
    // The devcontainer.json the workspace was made from, also when `up --devcontainer` chose it.
    ...(configFile ? { devcontainer: configFile } : {}),
  });
  const image = options.image ?? (resolved ? undefined : target.image);
  // Pulls or builds now (a Dockerfile's image is then reused by `up`); the old containers still run.
  try {
    const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
    const base = await prepareImage({ podman: ctx.podman, progress }, resolved, image, workspace);
    // Its Features' image too, so that `up` below finds it.
    if (resolved && hasFeatures(resolved)) {
      const features = await progress.step(
        "resolve Features",
        () =>
          configFeatures(resolved, base, {
            cacheDir: devaipodDirs(ctx.deps.env).cache,
            env: ctx.deps.env,
            warn: (l) => progress.note(l),
          }),
      );
      await buildFeatureImage(
        (command) => ctx.podman.run(command),
        features.build,
        (title, fn) => progress.step(title, fn),
      );
    }
  } catch (err) {
    ctx.err(`rebuild: workspace ${workspace} was left as it was`);
    throw err;
  }
  ctx.info(
    `rebuild ${workspace}: new containers from ${
      target.recorded?.url ?? project
    }; the volumes stay`,
  );
  // The state folder stays: it holds a URL source's clone and the allowlist.
  await deleteAndReport(ctx, workspace, { force: true, keepState: true });
  await upAction(ctx, project, task, {
    ...(target.recorded ? { recorded: target.recorded } : {}),
    ...(target.trustSource ? { trustSource: true } : {}),
    ...(target.projects.length ? { projects: target.projects } : {}),
    name: workspace,
    ...(image ? { image } : {}),
    ...(configFile ? { devcontainer: configFile } : {}),
    ...(target.agent ? { agent: target.agent } : {}),
    // The gator as it was: its scopes now, or none.
    gator: target.gator,
    prompt: options.prompt && task !== undefined,
    readyTimeout: 120,
    backend: quadlet ? "quadlet" : "podman",
    networkIsolation: target.isolation ? "on" : "off",
    ...(target.isolation
      ? { allow: target.isolation.allowed, egressNetwork: target.isolation.egressNetwork }
      : {}),
  });
}
