/**
 * A config's Features, end to end: the lockfile read, every Feature fetched (or found in the
 * cache) and ordered, the lockfile written back when it changed, the image build planned, and
 * the config merged with what the Features contribute. `up`, `rebuild`, `config --merged` and
 * `features` all come through here.
 */
import { parseJsonc } from "../devcontainer/jsonc.ts";
import { metadataEntries } from "../devcontainer/metadata.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { planFeatureBuild } from "./build_features.ts";
import type { FeatureBuild } from "./build_features.ts";
import { featureCacheRoot } from "./feature_cache.ts";
import { featureMetadataEntry } from "./feature_layers.ts";
import { lockfilePath, lockfileText, readLockfile, writeLockfile } from "./lockfile.ts";
import { ociClient } from "./oci_client.ts";
import type { OciClient } from "./oci_client.ts";
import { registryCredentials } from "./registry_auth.ts";
import { resolveFeatures } from "./resolve_features.ts";
import type { FeatureResolution } from "./resolve_features.ts";
import { withFeatureMetadata } from "./with_features.ts";

/** Whether a config names any Feature. */
export function hasFeatures(resolved: ResolvedConfig | undefined): boolean {
  return Object.values(resolved?.config.features ?? {}).some((v) => v !== false);
}

/** What resolving a config's Features needs. */
export interface ConfigFeaturesDeps {
  cacheDir: string;
  env: { get(name: string): string | undefined };
  /** Warnings (deprecated references, unknown options, a registry out of reach). */
  warn: (line: string) => void;
  client?: OciClient;
  fetch?: typeof fetch;
}

/** The Features of a config, resolved; the config with their contributions; their build. */
export interface ConfigFeatures {
  resolution: FeatureResolution;
  resolved: ResolvedConfig;
  build: FeatureBuild;
  lockfile: string;
}

/**
 * Writes `devcontainer-lock.json` when what it records changed, as the reference does; returns
 * whether it wrote.
 */
export async function saveLockfile(features: ConfigFeatures): Promise<boolean> {
  if (!Object.keys(features.resolution.lock).length) return false;
  return await writeLockfile(features.lockfile, lockfileText(features.resolution.lock));
}

/** Resolves `resolved`'s Features for an image built over `base`. */
export async function configFeatures(
  resolved: ResolvedConfig,
  base: string,
  deps: ConfigFeaturesDeps,
): Promise<ConfigFeatures> {
  const lockfile = lockfilePath(resolved.configFile);
  const locked = await readLockfile(lockfile);
  const text = await Deno.readTextFile(resolved.configFile);
  const doc = parseJsonc(text, resolved.configFile);
  const client = deps.client ?? ociClient({
    credentials: registryCredentials(deps.env),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const resolution = await resolveFeatures(
    resolved.config,
    { configFile: resolved.configFile, locate: (path) => doc.locateKey(path) },
    {
      client,
      cacheRoot: featureCacheRoot(deps.cacheDir),
      warn: deps.warn,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(locked ? { lockfile: locked } : {}),
    },
  );
  for (const w of resolution.warnings) deps.warn(`warning: ${resolved.configFile}: ${w}`);
  const [configEntry = {}] = metadataEntries([], resolved.configuration);
  const build = await planFeatureBuild({
    base,
    resolution,
    cacheDir: deps.cacheDir,
    configId: resolved.devcontainerId,
    ...(resolved.config.containerUser ? { containerUser: resolved.config.containerUser } : {}),
    ...(resolved.config.remoteUser ? { remoteUser: resolved.config.remoteUser } : {}),
    configEntry,
  });
  return {
    resolution,
    resolved: withFeatureMetadata(
      resolved,
      resolution.features.map((f) =>
        featureMetadataEntry({
          userId: f.fetched.ref.userId,
          manifest: f.fetched.manifest,
          options: f.options,
        })
      ),
    ),
    build,
    lockfile,
  };
}
