/**
 * devaipod's runtime image on the CLI's side: what goes into it (this devaipod's code and the
 * pinned agent binary, fetched if the cache has none), building it and pushing it with progress.
 * Used by `devaipod runtime-image`, `up --backend kube --registry` and `render --registry`.
 */
import { agentPin } from "../agents/agent_version.ts";
import { fetchPinnedBinary } from "../agents/fetch_binary.ts";
import { agentPlatform } from "../agents/opencode.ts";
import { loadUserConfig } from "../config/user_config.ts";
import { FailedError } from "../errors.ts";
import {
  buildRuntimeImage,
  checkRegistry,
  pushRuntimeImage,
  RUNTIME_IMAGE_REPOSITORY,
  runtimeImageFiles,
  runtimeImageTag,
} from "../kube/runtime_image.ts";
import type { RuntimeImageInput } from "../kube/runtime_image.ts";
import { devaipodDirs, userConfigPath } from "../paths.ts";
import { containerRuntime, currentRuntime, runtimeKind } from "../runtime.ts";
import { materialiseRuntime } from "../runtime_cache.ts";
import { Progress } from "../util/progress.ts";
import type { CliContext } from "./context.ts";

function progressOf(ctx: CliContext): Progress {
  return new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
}

/**
 * What the runtime image of this devaipod holds: its code (fetched into the cache first when it
 * runs from a URL) and the agent binary of the user config's `[agent] version` (fetched when the
 * cache has none), for this machine.
 */
export async function runtimeImageInput(ctx: CliContext): Promise<RuntimeImageInput> {
  const arch = Deno.build.arch;
  const platform = agentPlatform(arch);
  if (!platform) {
    throw new FailedError(`no runtime image for ${arch}: opencode has no build for it`);
  }
  const dirs = devaipodDirs(ctx.deps.env);
  const user = await loadUserConfig(
    userConfigPath(ctx.deps.env, ctx.globals.config),
    ctx.globals.config !== undefined,
  );
  const progress = progressOf(ctx);
  const runtime = currentRuntime();
  if (runtimeKind(runtime) === "url") {
    await progress.step("devaipod's runtime files", () => materialiseRuntime(runtime, dirs.cache));
  }
  const version = user.agent?.version;
  const agentBinary = await progress.step(
    `agent binary opencode${version ? ` ${version}` : ""} (${platform})`,
    async () =>
      fetchPinnedBinary(await agentPin(platform, version, { cacheDir: dirs.cache }), {
        cacheDir: dirs.cache,
        log: (l) => progress.note(l),
      }),
  );
  return { runtime: containerRuntime(runtime, dirs.cache), agentBinary, arch };
}

/** Which program of the image copies it in the Pods' init containers. */
export function copyProgram(input: RuntimeImageInput): "deno" | "binary" {
  return input.runtime.kind === "deno" ? "deno" : "binary";
}

/**
 * The reference the image of `input` will have in `registry` once pushed, by its tag (`render`
 * names it so without building or pushing anything).
 */
export async function runtimeImageTagRef(
  input: RuntimeImageInput,
  registry: string,
): Promise<string> {
  const tag = await runtimeImageTag(await runtimeImageFiles(input));
  return `${checkRegistry(registry)}/${RUNTIME_IMAGE_REPOSITORY}:${tag}`;
}

/** Builds the image of `input` unless built before; returns its local reference. */
export async function buildRuntime(ctx: CliContext, input: RuntimeImageInput): Promise<string> {
  const progress = progressOf(ctx);
  return await progress.step(
    "runtime image",
    () =>
      buildRuntimeImage(ctx.podman, input, {
        scratchDir: scratchDir(ctx),
        log: (l) => progress.note(l),
      }),
  );
}

/** Pushes the local image `local` to `registry`; returns its reference by digest there. */
export async function pushRuntime(
  ctx: CliContext,
  local: string,
  registry: string,
): Promise<string> {
  checkRegistry(registry);
  return await progressOf(ctx).step(
    `push to ${registry}`,
    () => pushRuntimeImage(ctx.podman, local, registry, scratchDir(ctx)),
  );
}

function scratchDir(ctx: CliContext): string {
  return `${devaipodDirs(ctx.deps.env).cache}/tmp`;
}

/** `devaipod runtime-image [REGISTRY]`: build it, push it with REGISTRY, print the reference. */
export async function runtimeImageAction(
  ctx: CliContext,
  registry: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  if (registry !== undefined) checkRegistry(registry);
  const input = await runtimeImageInput(ctx);
  const local = await buildRuntime(ctx, input);
  const ref = registry !== undefined ? await pushRuntime(ctx, local, registry) : undefined;
  if (options.json) {
    ctx.json({ local, ...(ref ? { ref } : {}) });
    return;
  }
  ctx.out(ref ?? local);
}
