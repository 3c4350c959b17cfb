/** The GPUs a workspace gets, as `up` and `render` decide them (lib/gpu), said on stderr. */
import type { UserConfig } from "../config/user_config.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { gatherGpuFacts } from "../gpu/gather.ts";
import { chooseGpus, gpuSetting } from "../gpu/gpu.ts";
import type { GpuChoice } from "../gpu/gpu.ts";
import type { CliContext } from "./context.ts";

/**
 * The project's GPU setting over the user's, applied to this host's GPUs. Nothing is looked for
 * when it is off. The GPUs passed are printed; none found under `auto` only with `--verbose`.
 */
export async function gpuChoice(
  ctx: CliContext,
  user: UserConfig,
  resolved: ResolvedConfig | undefined,
): Promise<GpuChoice> {
  const setting = gpuSetting(user.gpu, resolved?.devaipod.gpu);
  if (setting.enabled === false) {
    return { devices: [], targets: [], resources: [], note: "gpu: off" };
  }
  const choice = chooseGpus(setting, await gatherGpuFacts(ctx.deps.env));
  // GPUs passed are said; `auto` finding none, with --verbose (doctor says it too).
  if (choice.devices.length) ctx.info(choice.note);
  else ctx.debug(choice.note);
  return choice;
}
