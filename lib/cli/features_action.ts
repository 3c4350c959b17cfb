/** What `devaipod features resolve|pull` do: resolve a project's Features, print them. */
import { resolve } from "node:path";
import { imageOf } from "../pods/image.ts";
import { configFeatures, hasFeatures, saveLockfile } from "../features/config_features.ts";
import { describeSource } from "../features/feature_ref.ts";
import { devaipodDirs } from "../paths.ts";
import { Progress } from "../util/progress.ts";
import type { CliContext } from "./context.ts";
import { resolveProject } from "./up_action.ts";
import { formatDiagnostic } from "../errors.ts";

/** One Feature as `features resolve --json` prints it. */
export interface FeatureRow {
  /** The reference as written (or in a dependency's `dependsOn`). */
  id: string;
  /** Named in devcontainer.json, or only a dependency. */
  named: boolean;
  source: string;
  /** The lockfile's `resolved`. */
  resolved: string;
  digest: string;
  version: string | null;
  options: Record<string, string | boolean>;
  /** The folder its files are in (the cache, or the project's). */
  dir: string;
}

/** Runs `features resolve` or `features pull` for a folder. */
export async function featuresAction(
  ctx: CliContext,
  verb: "resolve" | "pull",
  folder: string,
  options: { devcontainer?: string; json?: boolean },
): Promise<void> {
  const project = resolve(ctx.deps.cwd(), folder);
  const resolved = await resolveProject(
    ctx,
    project,
    options.devcontainer ? { devcontainer: options.devcontainer } : {},
  );
  for (const w of resolved?.warnings ?? []) ctx.info(`warning: ${formatDiagnostic(w)}`);
  if (!resolved || !hasFeatures(resolved)) {
    if (options.json) ctx.json({ configFile: resolved?.configFile ?? null, features: [] });
    else ctx.info(`${resolved?.configFile ?? project}: no Features`);
    return;
  }
  const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
  const { image } = await imageOf(resolved, undefined, "features", "features");
  const found = await progress.step(
    `resolve Features of ${resolved.configFile}`,
    () =>
      configFeatures(resolved, image, {
        cacheDir: devaipodDirs(ctx.deps.env).cache,
        env: ctx.deps.env,
        warn: (l) => progress.note(l),
      }),
  );
  if (verb === "pull" && await saveLockfile(found)) progress.note(`wrote ${found.lockfile}`);
  const rows: FeatureRow[] = found.resolution.features.map((f) => ({
    id: f.fetched.ref.userId,
    named: f.named,
    source: describeSource(f.fetched.ref.source),
    resolved: f.fetched.resolved,
    digest: f.fetched.digest,
    version: f.fetched.manifest.version ?? null,
    options: f.options,
    dir: f.fetched.dir,
  }));
  if (options.json) {
    ctx.json({
      configFile: resolved.configFile,
      lockfile: found.lockfile,
      image: found.build.tag,
      base: image,
      features: rows,
    });
    return;
  }
  ctx.out(`Features of ${resolved.configFile}, in install order:`);
  rows.forEach((r, i) => {
    const opts = Object.entries(r.options).map(([k, v]) => `${k}=${v}`).join(" ");
    ctx.out(
      `${i + 1}. ${r.id}${r.named ? "" : " (dependency)"}  ${r.version ?? "-"}  ${r.digest}${
        opts ? `\n   ${opts}` : ""
      }`,
    );
  });
  ctx.out(`image: ${found.build.tag} over ${image}`);
}
