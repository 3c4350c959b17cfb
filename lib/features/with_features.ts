/**
 * A resolved config with its Features' contributions merged in by the spec's rules: their
 * lifecycle hooks run before devcontainer.json's, `capAdd`/`securityOpt` are a union,
 * `privileged`/`init` an OR, mounts last-wins by target (devcontainer.json last), and their
 * entrypoints are collected for the workspace container. Pure.
 */
import { lifecycleSteps } from "../devcontainer/lifecycle.ts";
import { mergeConfiguration, metadataEntries } from "../devcontainer/metadata.ts";
import type { MetadataEntry } from "../devcontainer/metadata.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import type {
  DevcontainerConfig,
  HookName,
  LifecycleCommandInput,
} from "../devcontainer/schema.ts";
import { HOOK_NAMES } from "../devcontainer/schema.ts";

/** `resolved` with Feature metadata entries (each with an `id`) merged in. */
export function withFeatureMetadata(
  resolved: ResolvedConfig,
  featureEntries: readonly MetadataEntry[],
): ResolvedConfig {
  if (!featureEntries.length) return resolved;
  const entries = featureEntries.map((e) => resolved.substitute(e));
  const merged = mergeConfiguration(
    resolved.configuration,
    metadataEntries(entries, resolved.configuration),
  );
  const config: DevcontainerConfig = { ...resolved.config };
  const set = <K extends keyof DevcontainerConfig>(key: K, value: unknown) => {
    if (value === undefined || value === false) delete config[key];
    else config[key] = value as DevcontainerConfig[K];
  };
  set("capAdd", merged.capAdd);
  set("securityOpt", merged.securityOpt);
  set("privileged", merged.privileged);
  set("init", merged.init);
  set("mounts", merged.mounts);
  const featureSteps = lifecycleSteps(entries.map((e) => ({
    origin: `Feature ${e.id}`,
    // Validated when the manifest was read (its hooks are LifecycleCommandSchema).
    hooks: e as Partial<Record<HookName, LifecycleCommandInput>>,
  })));
  const steps = HOOK_NAMES.flatMap((hook) => [
    ...featureSteps.filter((s) => s.hook === hook),
    ...resolved.lifecycle.steps.filter((s) => s.hook === hook),
  ]);
  const entrypoints = entries.map((e) => e.entrypoint).filter((e): e is string =>
    typeof e === "string" && e !== ""
  );
  return {
    ...resolved,
    config,
    lifecycle: { ...resolved.lifecycle, steps },
    ...(entrypoints.length ? { entrypoints } : {}),
  };
}
