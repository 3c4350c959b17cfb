/** The metadata entries of a config's Features (fetched, or from the cache), in install order. */
async function featureEntriesOf(
  ctx: CliContext,
  resolved: ResolvedConfig,
): Promise<MetadataEntry[]> {
  const { configFeatures } = await import("../features/config_features.ts");
  const { featureMetadataEntry } = await import("../features/feature_layers.ts");
  const found = await configFeatures(resolved, "", {
    cacheDir: devaipodDirs(ctx.deps.env).cache,
    env: ctx.deps.env,
    warn: (l) => ctx.info(l),
  });
  return found.resolution.features.map((f) =>
    featureMetadataEntry({
      userId: f.fetched.ref.userId,
      manifest: f.fetched.manifest,
      options: f.options,
    })
  );
}

/** What `devaipod config` does (loaded only when it runs). */
import { resolve } from "node:path";
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { displayCommand } from "../devcontainer/lifecycle.ts";
import type { LifecycleCommand } from "../devcontainer/lifecycle.ts";
import { loadUserConfig, redactUserConfig } from "../config/user_config.ts";
import { formatDiagnostic } from "../errors.ts";
import { devaipodDirs, userConfigPath } from "../paths.ts";
import { hasFeatures } from "../features/config_features.ts";
import type { MetadataEntry } from "../devcontainer/metadata.ts";
import type { CliContext } from "./context.ts";
import { renderTable } from "./table.ts";

/** Options of `devaipod config`. */
export interface ConfigOptions {
  devcontainer?: string;
  json?: boolean;
  merged?: boolean;
  user?: boolean;
}

/** The `--json` document (documented in docs/config.md). */
export function configJson(r: ResolvedConfig): Record<string, unknown> {
  return {
    configuration: r.configuration,
    configFile: r.configFile,
    workspaceFolder: r.workspaceFolder,
    containerWorkspaceFolder: r.containerWorkspaceFolder,
    workspaceMount: r.workspaceMount ?? null,
    devcontainerId: r.devcontainerId,
    source: r.source,
    lifecycle: {
      waitFor: r.lifecycle.waitFor,
      steps: r.lifecycle.steps.map((s) => ({ hook: s.hook, origin: s.origin, command: s.command })),
    },
    devaipod: r.devaipod,
    warnings: r.warnings.map((w) => ({ message: w.message, ...w.location })),
  };
}

function describeCommand(c: LifecycleCommand): string {
  if (c.kind === "single") return displayCommand(c);
  return c.commands.map((x) => `${x.name}: ${displayCommand(x)}`).join("; ") + " (in parallel)";
}

/** The human summary. */
export function configSummary(r: ResolvedConfig): string[] {
  const c = r.config;
  const source = r.source.kind === "image"
    ? `image ${r.source.image}`
    : r.source.kind === "dockerfile"
    ? `build ${r.source.dockerfile} (context ${r.source.context}${
      r.source.target ? `, target ${r.source.target}` : ""
    })`
    : `compose service ${r.source.service} of ${r.source.files.join(", ")}`;
  const rows: string[][] = [
    ["config", r.configFile],
    ...(c.name ? [["name", c.name]] : []),
    ["image", source],
    ["workspace", `${r.workspaceFolder} → ${r.containerWorkspaceFolder}`],
    [
      "user",
      `${c.remoteUser ?? "(image default)"}${
        c.containerUser ? ` (container: ${c.containerUser})` : ""
      }`,
    ],
  ];
  if (c.containerEnv && Object.keys(c.containerEnv).length) {
    rows.push(["containerEnv", Object.keys(c.containerEnv).join(", ")]);
  }
  if (c.forwardPorts?.length) rows.push(["forwardPorts", c.forwardPorts.join(", ")]);
  if (c.mounts?.length) rows.push(["mounts", `${c.mounts.length}`]);
  for (const s of r.lifecycle.steps) rows.push([s.hook, describeCommand(s.command)]);
  rows.push(["waitFor", r.lifecycle.waitFor]);
  return renderTable(rows);
}

/** Resolves and prints; warnings go to stderr. */
export async function configAction(
  ctx: CliContext,
  path: string,
  options: ConfigOptions,
): Promise<void> {
  if (options.user) {
    const file = userConfigPath(ctx.deps.env, ctx.globals.config);
    const config = redactUserConfig(await loadUserConfig(file, ctx.globals.config !== undefined));
    if (options.json) ctx.json({ file, config });
    else {
      ctx.out(`# ${file}`);
      ctx.out(JSON.stringify(config, null, 2));
    }
    return;
  }
  const cwd = ctx.deps.cwd();
  const folder = resolve(cwd, path);
  const resolved = await resolveDevcontainer({
    folder,
    cwd,
    env: ctx.deps.env.toObject(),
    ...(options.devcontainer ? { devcontainer: options.devcontainer } : {}),
  });
  for (const w of resolved.warnings) ctx.info(`warning: ${formatDiagnostic(w)}`);
  let merged: Record<string, unknown> | undefined;
  if (options.merged) {
    const { mergedConfiguration } = await import("../devcontainer/image_metadata.ts");
    const featureEntries = hasFeatures(resolved) ? await featureEntriesOf(ctx, resolved) : [];
    const result = await mergedConfiguration(ctx.podman, resolved, undefined, featureEntries);
    if (result.warning) ctx.info(`warning: ${result.warning}`);
    merged = result.merged;
  }
  if (options.json) {
    ctx.json({ ...configJson(resolved), ...(merged ? { mergedConfiguration: merged } : {}) });
  } else {
    for (const line of configSummary(resolved)) ctx.out(line);
    if (merged) {
      ctx.out();
      ctx.out("merged with the image's metadata:");
      ctx.out(JSON.stringify(merged, null, 2));
    }
  }
}
