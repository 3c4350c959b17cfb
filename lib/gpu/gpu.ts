/**
 * GPUs for the agent and the workspace: which devices a workspace gets, from the user's setting
 * (`[gpu]` in the user config, `customizations.devaipod.gpu`) and what this host has (gathered by
 * lib/gpu/gather.ts). Pure.
 *
 * A GPU is a CDI device whose kind's class is `gpu` (`nvidia.com/gpu`, a vendor's own
 * `example.com/gpu`): podman adds it by name (`--device nvidia.com/gpu=all`). Without a CDI spec,
 * AMD's ROCm nodes (`/dev/kfd`, `/dev/dri`) are added as they are.
 */
import { EnvironmentError } from "../errors.ts";

/** Whether to pass GPUs: always, never, or when this host has one. */
export type GpuEnabled = boolean | "auto";
/** Which container gets them. */
export type GpuTarget = "agent" | "workspace" | "all";

/** The user's GPU setting, after the config and the project's customizations. */
export interface GpuSetting {
  enabled: GpuEnabled;
  target: GpuTarget;
}

/** The default: a GPU when the host has one, for the agent. */
export const DEFAULT_GPU: GpuSetting = { enabled: "auto", target: "agent" };

/** One CDI spec's kind (`vendor/class`) and its device names. */
export interface CdiKind {
  kind: string;
  devices: string[];
  /** The spec file. */
  file: string;
}

/** What this host has. */
export interface GpuFacts {
  /** The CDI specs' kinds, from the folders in {@link GpuFacts.cdiDirs}. */
  cdi: CdiKind[];
  /** The folders searched for CDI specs. */
  cdiDirs: string[];
  /** `/dev/kfd` and `/dev/dri` exist (AMD ROCm). */
  amd: boolean;
}

/** What a workspace gets. */
export interface GpuChoice {
  /** `--device` values: CDI names or device nodes. */
  devices: string[];
  /** The containers that get them. */
  targets: ("agent" | "workspace")[];
  /**
   * The Kubernetes extended resources the devices stand for (`nvidia.com/gpu`, `amd.com/gpu`, a
   * CDI kind), one each.
   */
  resources: string[];
  /** What was decided, in a line for the user. */
  note: string;
}

/** The CDI names of the GPUs in `facts`: a kind's `all` when it has one, else each device. */
export function cdiGpus(facts: GpuFacts): { devices: string[]; resources: string[] } {
  const gpus = facts.cdi.filter((k) => k.kind.split("/")[1] === "gpu" && k.devices.length);
  return {
    devices: gpus.flatMap((k) =>
      k.devices.includes("all") ? [`${k.kind}=all`] : k.devices.map((d) => `${k.kind}=${d}`)
    ),
    resources: [...new Set(gpus.map((k) => k.kind))],
  };
}

/**
 * The devices a workspace gets. `auto` without a GPU gets none and says so; `true` without one
 * is an {@link EnvironmentError} naming where devaipod looked.
 *
 * @example
 * ```ts
 * chooseGpus({ enabled: "auto", target: "agent" }, facts);
 * // { devices: ["nvidia.com/gpu=all"], targets: ["agent"], resources: ["nvidia.com/gpu"],
 * //   note: "gpu: nvidia.com/gpu=all for the agent (CDI)" }
 * ```
 */
export function chooseGpus(setting: GpuSetting, facts: GpuFacts): GpuChoice {
  const targets: GpuChoice["targets"] = setting.target === "all"
    ? ["agent", "workspace"]
    : [setting.target];
  const none = (note: string): GpuChoice => ({ devices: [], targets: [], resources: [], note });
  if (setting.enabled === false) return none("gpu: off");
  const cdi = cdiGpus(facts);
  let found: { devices: string[]; resources: string[]; how: string } | undefined;
  if (cdi.devices.length) found = { ...cdi, how: "CDI" };
  else if (facts.amd) {
    found = { devices: ["/dev/kfd", "/dev/dri"], resources: ["amd.com/gpu"], how: "ROCm" };
  }
  const looked = `looked for CDI specs in ${facts.cdiDirs.join(", ")} and for /dev/kfd`;
  if (!found) {
    if (setting.enabled === true) {
      throw new EnvironmentError(`gpu: enabled, but this host has no GPU (${looked})`, {
        hint:
          'install the vendor\'s CDI spec (nvidia-ctk cdi generate), or set [gpu] enabled = "auto"',
      });
    }
    return none(`gpu: auto: no GPU found (${looked}); none passed`);
  }
  return {
    devices: found.devices,
    targets,
    resources: found.resources,
    note: `gpu: ${found.devices.join(", ")} for the ${targets.join(" and the ")} (${found.how})`,
  };
}

/**
 * The setting of a project: `customizations.devaipod.gpu` over the user config's `[gpu]`, over
 * {@link DEFAULT_GPU}. The customization is `true`/`false`/`"auto"`, or `{enabled?, target?}`.
 */
export function gpuSetting(
  user: { enabled?: GpuEnabled; target?: GpuTarget } | undefined,
  project: GpuEnabled | { enabled?: GpuEnabled; target?: GpuTarget } | undefined,
): GpuSetting {
  const p = typeof project === "object"
    ? project
    : project === undefined
    ? {}
    : { enabled: project };
  return {
    enabled: p.enabled ?? user?.enabled ?? DEFAULT_GPU.enabled,
    target: p.target ?? user?.target ?? DEFAULT_GPU.target,
  };
}
