/**
 * The merged configuration of a project: the `devcontainer.metadata` of the image it uses (for
 * a Dockerfile, of the image the build starts from), merged with devcontainer.json. Reads the
 * image from local storage only; nothing is pulled.
 */
import { ConfigError, NotFoundError } from "../errors.ts";
import type { Podman } from "../podman/driver.ts";
import { imageExists, imageInspect } from "../podman/image.ts";
import { findBaseImage } from "./dockerfile.ts";
import type { ConfigFs } from "./fs.ts";
import { denoFs } from "./fs.ts";
import {
  mergeConfiguration,
  METADATA_LABEL,
  metadataEntries,
  parseMetadataLabel,
} from "./metadata.ts";
import type { MetadataEntry } from "./metadata.ts";
import type { ResolvedConfig } from "./resolve.ts";

/** The image whose metadata applies, or undefined when a Dockerfile's base cannot be found. */
export async function metadataImage(
  resolved: ResolvedConfig,
  fs: ConfigFs = denoFs,
): Promise<string | undefined> {
  const source = resolved.source;
  switch (source.kind) {
    case "image":
      return source.image;
    case "dockerfile":
      return findBaseImage(await fs.readTextFile(source.dockerfile), source.args, source.target);
    case "compose":
      throw new ConfigError("merging image metadata is not supported for Compose configs yet", {
        location: { file: resolved.configFile },
      });
  }
}

/** The image's metadata entries (substituted like the config), and a warning for a bad label. */
export async function imageMetadataEntries(
  podman: Podman,
  image: string,
  resolved: ResolvedConfig,
): Promise<{ entries: MetadataEntry[]; warning?: string }> {
  if (!(await podman.run(imageExists(image)))) {
    throw new NotFoundError(`image ${image} is not in local storage`, {
      hint:
        `devaipod reads image metadata without pulling: \`podman pull ${image}\` (or build it) first`,
    });
  }
  const [details] = await podman.run(imageInspect(image));
  const parsed = parseMetadataLabel(details?.Labels[METADATA_LABEL]);
  return { ...parsed, entries: parsed.entries.map((e) => resolved.substitute(e)) };
}

/** The merged configuration (the reference's `mergedConfiguration`): the image's entries, the Features', then the config's. */
export async function mergedConfiguration(
  podman: Podman,
  resolved: ResolvedConfig,
  fs: ConfigFs = denoFs,
  featureEntries: readonly MetadataEntry[] = [],
): Promise<{ merged: Record<string, unknown>; image: string | undefined; warning?: string }> {
  const image = await metadataImage(resolved, fs);
  const found = image ? await imageMetadataEntries(podman, image, resolved) : { entries: [] };
  const merged = mergeConfiguration(
    resolved.configuration,
    metadataEntries(
      [...found.entries, ...featureEntries.map((e) => resolved.substitute(e))],
      resolved.configuration,
    ),
  );
  return { merged, image, ...(found.warning ? { warning: found.warning } : {}) };
}
