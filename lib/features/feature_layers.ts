/**
 * The image layers of a config's Features: a Containerfile over the base image that installs
 * each Feature in order (its `containerEnv` first, as `ENV`, so later Features see it), and the
 * metadata entries the image's `devcontainer.metadata` label gains. Pure: the build's folder
 * is written by `build_features.ts`.
 */
import type { MetadataEntry } from "../devcontainer/metadata.ts";
import type { FeatureManifest } from "./feature_json.ts";
import { optionsEnvFile, shellQuote } from "./options.ts";
import type { OptionValue } from "./options.ts";

/** What a Feature contributes to the merged configuration (the reference's pick). */
export const FEATURE_METADATA_KEYS = [
  "onCreateCommand",
  "updateContentCommand",
  "postCreateCommand",
  "postStartCommand",
  "postAttachCommand",
  "init",
  "privileged",
  "capAdd",
  "securityOpt",
  "entrypoint",
  "mounts",
  "customizations",
] as const;

/** Where Features are copied to inside the build. */
export const FEATURES_DIR = "/tmp/devcontainer-features";

/** The line an install that fails prints; the build's error names the Feature from it. */
export const FAILED_MARKER = "devaipod: Feature failed to install:";

/** One Feature as the build sees it. */
export interface LayerFeature {
  /** The reference as written (the metadata entry's `id`). */
  userId: string;
  manifest: FeatureManifest;
  options: Readonly<Record<string, OptionValue>>;
}

/** A Feature's metadata entry: `id` plus what it contributes. */
export function featureMetadataEntry(feature: LayerFeature): MetadataEntry {
  const entry: MetadataEntry = { id: feature.userId };
  const manifest = feature.manifest as Record<string, unknown>;
  for (const key of FEATURE_METADATA_KEYS) {
    if (manifest[key] !== undefined) entry[key] = manifest[key];
  }
  return entry;
}

/** The folder of the i-th Feature inside the build context and the image. */
export function layerFolder(index: number, feature: LayerFeature): string {
  return `${index}-${feature.manifest.id}`;
}

/** The script that installs one Feature: its options and the builtins in its environment. */
export function installWrapper(feature: LayerFeature): string {
  const m = feature.manifest;
  const id = feature.userId;
  return [
    "#!/bin/sh",
    "set -e",
    `on_exit() { code=$?; [ "$code" -eq 0 ] || echo ${
      shellQuote(`${FAILED_MARKER} ${id}`)
    }" (exit $code)" >&2; }`,
    "trap on_exit EXIT",
    `echo ${shellQuote(`Feature ${m.name ?? m.id} ${m.version ?? ""} (${id})`)}`,
    "set -a",
    ". ../devcontainer-features.builtin.env",
    ". ./devcontainer-features.env",
    "set +a",
    "chmod +x ./install.sh",
    "./install.sh",
    "",
  ].join("\n");
}

/** The options file of one Feature. */
export function optionsFile(feature: LayerFeature): string {
  return optionsEnvFile(feature.options);
}

/** `_CONTAINER_USER` and `_REMOTE_USER`, which every install script sees. */
export function builtinEnvFile(users: { containerUser: string; remoteUser: string }): string {
  return `_CONTAINER_USER=${shellQuote(users.containerUser)}\n_REMOTE_USER=${
    shellQuote(users.remoteUser)
  }\n`;
}

function passwdHome(user: string): string {
  const q = shellQuote(user);
  const pattern = shellQuote(`^${user}:|^[^:]*:[^:]*:${user}:`);
  return `$( (command -v getent >/dev/null 2>&1 && getent passwd ${q} || grep -E ${pattern} /etc/passwd || true) | cut -d: -f6)`;
}

function envLine(env: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(env).map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`
  );
  return pairs.length ? `ENV ${pairs.join(" ")}\n` : "";
}

/** The Containerfile: the base, then each Feature's env and install, then the image's user. */
export function featuresContainerfile(input: {
  base: string;
  features: readonly LayerFeature[];
  containerUser: string;
  remoteUser: string;
  /** The base image's own `USER`, restored at the end (root when it has none). */
  imageUser: string;
  /** The merged `devcontainer.metadata` label. */
  metadata: readonly MetadataEntry[];
}): string {
  const builtin = `${FEATURES_DIR}/devcontainer-features.builtin.env`;
  const lines = [
    `FROM ${input.base}`,
    "USER root",
    `COPY --chown=root:root devcontainer-features.builtin.env ${builtin}`,
    `RUN echo "_CONTAINER_USER_HOME='${passwdHome(input.containerUser)}'" >> ${builtin} && \\`,
    `    echo "_REMOTE_USER_HOME='${passwdHome(input.remoteUser)}'" >> ${builtin}`,
    "",
  ];
  input.features.forEach((f, i) => {
    const folder = layerFolder(i, f);
    const dest = `${FEATURES_DIR}/${folder}`;
    lines.push(
      envLine(f.manifest.containerEnv ?? {}) +
        `COPY --chown=root:root features/${folder} ${dest}`,
      `RUN chmod -R 0755 ${dest} && cd ${dest} && ./devaipod-install.sh`,
      "",
    );
  });
  // A LABEL value is substituted like ENV: `$` and quotes are escaped, so the JSON stays as is.
  const label = JSON.stringify(input.metadata).replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    .replaceAll("$", "\\$");
  lines.push(`USER ${input.imageUser || "root"}`, `LABEL devcontainer.metadata="${label}"`, "");
  return lines.join("\n");
}
