/**
 * The image of a workspace: which one, and how it is made (pulled, or built from the config's
 * Dockerfile under a tag that hashes its inputs). `up`'s plan names it; `rebuild` prepares it
 * before it removes anything.
 */
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { ConfigError, InterruptedError, NotFoundError, UsageError } from "../errors.ts";
import { LABELS } from "../labels.ts";
import type { BuildSpec } from "../plan/spec.ts";
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import { sha256Hex } from "../util/hash.ts";
import type { Progress } from "../util/progress.ts";

/** The tag of an image built for a workspace's Dockerfile config (content-addressed by its inputs). */
export async function builtImageTag(
  resolved: ResolvedConfig,
): Promise<{ tag: string; hash: string }> {
  const source = resolved.source;
  if (source.kind !== "dockerfile") throw new Error("not a Dockerfile config");
  const hash = (await sha256Hex(JSON.stringify({
    dockerfile: await Deno.readTextFile(source.dockerfile),
    context: source.context,
    args: source.args,
    target: source.target ?? null,
    options: source.options,
  }))).slice(0, 16);
  return { tag: `localhost/devaipod/${resolved.devcontainerId.slice(0, 12)}:${hash}`, hash };
}

/** What {@link prepareImage} needs: podman, progress, and how to run a step that changes something. */
export interface PrepareImageDeps {
  podman: Podman;
  progress: Progress;
  /** Runs a build or pull (up counts them as steps); default `podman.run`. */
  run?: <T>(command: p.PodmanCommand<T>) => Promise<T>;
}

/**
 * The image a workspace runs, and how it is made: `explicit` (--image) or the config's image, or
 * the config's Dockerfile built under a tag that hashes its inputs. Reads the Dockerfile; touches
 * no podman. A Compose config is a config error naming its file.
 */
export async function imageOf(
  resolved: ResolvedConfig | undefined,
  explicit: string | undefined,
  workspace: string,
  command = "up",
): Promise<{ image: string; build?: BuildSpec }> {
  if (!explicit && resolved?.source.kind === "dockerfile") {
    const source = resolved.source;
    const { tag, hash } = await builtImageTag(resolved);
    return {
      image: tag,
      build: {
        tag,
        file: source.dockerfile,
        context: source.context,
        buildArgs: source.args,
        ...(source.target ? { target: source.target } : {}),
        labels: { [LABELS.configHash]: hash, [LABELS.workspace]: workspace },
        extraArgs: [...source.cacheFrom.flatMap((c) => ["--cache-from", c]), ...source.options],
      },
    };
  }
  if (!explicit && resolved?.source.kind === "compose") {
    throw new ConfigError(`Compose configs are not supported by \`${command}\` yet`, {
      location: { file: resolved.configFile },
      hint: "use --image IMAGE",
    });
  }
  const image = explicit ??
    (resolved?.source.kind === "image" ? resolved.source.image : undefined);
  if (!image) throw new UsageError("no image to run", { hint: "pass --image IMAGE" });
  return { image };
}

/**
 * The image a workspace runs ({@link imageOf}), pulled when missing, or built when its tag is.
 * Creates no workspace object, so `rebuild` calls it before it removes anything.
 */
export async function prepareImage(
  deps: PrepareImageDeps,
  resolved: ResolvedConfig | undefined,
  explicit: string | undefined,
  workspace: string,
): Promise<string> {
  const { podman, progress } = deps;
  const run = deps.run ?? (<T>(command: p.PodmanCommand<T>) => podman.run(command));
  const { image, build } = await imageOf(resolved, explicit, workspace);
  if (await podman.run(p.imageExists(image))) return image;
  if (build) {
    await progress.step(`build ${image} from ${build.file}`, () => run(p.imageBuild(build)));
    return image;
  }
  await progress.step(`pull ${image}`, async () => {
    try {
      await run(p.imagePull(image));
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      throw new NotFoundError(
        `image ${image} is not available: it is not in local storage and cannot be pulled`,
        { hint: "check the name, build it locally, or pull it yourself", cause: err },
      );
    }
  });
  return image;
}
