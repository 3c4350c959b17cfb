/**
 * The image of a config with Features: its tag (a hash of every input), the `podman build`
 * that makes it, and the build folder that build reads (written when the base image is known,
 * since its `USER` and metadata label shape the Containerfile).
 */
import { join } from "node:path";
import { lastDefined } from "../devcontainer/metadata.ts";
import type { MetadataEntry } from "../devcontainer/metadata.ts";
import { sha256Hex } from "../util/hash.ts";
import { featureCacheRoot } from "./feature_cache.ts";
import type { FeatureManifest } from "./feature_json.ts";
import {
  builtinEnvFile,
  featureMetadataEntry,
  featuresContainerfile,
  installWrapper,
  layerFolder,
  optionsFile,
} from "./feature_layers.ts";
import type { LayerFeature } from "./feature_layers.ts";
import type { OptionValue } from "./options.ts";
import type { FeatureResolution } from "./resolve_features.ts";

/** Bump when the Containerfile's shape changes, so old images are not reused. */
const LAYOUT_VERSION = "1";

/** Everything a Features build needs; plain data, so a plan can carry it. */
export interface FeatureBuild {
  /** The image the Features install over. */
  base: string;
  /** The tag of the result. */
  tag: string;
  /** The build folder. */
  context: string;
  features: {
    userId: string;
    /** The Feature's unpacked files. */
    dir: string;
    manifest: FeatureManifest;
    options: Readonly<Record<string, OptionValue>>;
  }[];
  /** devcontainer.json's `containerUser` / `remoteUser`, when it sets them. */
  containerUser?: string;
  remoteUser?: string;
  /** devcontainer.json's own metadata entry (the label's last). */
  configEntry: MetadataEntry;
}

/** Plans the build: the tag hashes the base, each Feature's digest and options, and the users. */
export async function planFeatureBuild(input: {
  base: string;
  resolution: FeatureResolution;
  cacheDir: string;
  /** The workspace's config id (the tag's repository, like a Dockerfile build's). */
  configId: string;
  containerUser?: string;
  remoteUser?: string;
  configEntry: MetadataEntry;
}): Promise<FeatureBuild> {
  const features = input.resolution.features.map((f) => ({
    userId: f.fetched.ref.userId,
    dir: f.fetched.dir,
    manifest: f.fetched.manifest,
    options: f.options,
  }));
  const hash = (await sha256Hex(JSON.stringify({
    v: LAYOUT_VERSION,
    base: input.base,
    features: input.resolution.features.map((
      f,
    ) => [f.fetched.ref.userId, f.fetched.digest, f.options]),
    containerUser: input.containerUser ?? null,
    remoteUser: input.remoteUser ?? null,
    entry: input.configEntry,
  }))).slice(0, 16);
  return {
    base: input.base,
    tag: `localhost/devaipod/${input.configId.slice(0, 12)}-features:${hash}`,
    context: join(featureCacheRoot(input.cacheDir), "builds", hash),
    features,
    ...(input.containerUser ? { containerUser: input.containerUser } : {}),
    ...(input.remoteUser ? { remoteUser: input.remoteUser } : {}),
    configEntry: input.configEntry,
  };
}

const isName = (v: unknown) => typeof v === "string" && v !== "";

/** The users Features install for: the config's, else the base image's metadata, else its USER. */
export function buildUsers(
  build: Pick<FeatureBuild, "containerUser" | "remoteUser">,
  base: { user: string; entries: readonly MetadataEntry[] },
): { containerUser: string; remoteUser: string } {
  const containerUser = build.containerUser ??
    lastDefined<string>(base.entries, "containerUser", isName) ??
    (base.user || "root");
  const remoteUser = build.remoteUser ?? lastDefined<string>(base.entries, "remoteUser", isName) ??
    containerUser;
  return { containerUser, remoteUser };
}

/** The image's label: the base's entries, each Feature's, then devcontainer.json's. */
export function featureImageMetadata(
  build: Pick<FeatureBuild, "features" | "configEntry">,
  baseEntries: readonly MetadataEntry[],
): MetadataEntry[] {
  return [...baseEntries, ...build.features.map(featureMetadataEntry), build.configEntry]
    .filter((e) => Object.keys(e).length > 0);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === ".complete") continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory) await copyTree(src, dst);
    else if (entry.isFile) await Deno.copyFile(src, dst);
  }
}

/** Writes the build folder (replacing an old one) for a base image with this USER and label. */
export async function writeBuildContext(
  build: FeatureBuild,
  base: { user: string; entries: readonly MetadataEntry[] },
): Promise<void> {
  const users = buildUsers(build, base);
  await Deno.remove(build.context, { recursive: true }).catch(() => {});
  await Deno.mkdir(join(build.context, "features"), { recursive: true });
  await Deno.writeTextFile(
    join(build.context, "devcontainer-features.builtin.env"),
    builtinEnvFile(users),
  );
  for (const [i, f] of build.features.entries()) {
    const layer: LayerFeature = f;
    const dir = join(build.context, "features", layerFolder(i, layer));
    await copyTree(f.dir, dir);
    await Deno.writeTextFile(join(dir, "devcontainer-features.env"), optionsFile(layer));
    await Deno.writeTextFile(join(dir, "devaipod-install.sh"), installWrapper(layer), {
      mode: 0o755,
    });
  }
  await Deno.writeTextFile(
    join(build.context, "Containerfile"),
    featuresContainerfile({
      base: build.base,
      features: build.features,
      ...users,
      imageUser: base.user,
      metadata: featureImageMetadata(build, base.entries),
    }),
  );
}
