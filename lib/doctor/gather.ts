/** Gathers the facts `devaipod doctor` judges: podman's version and info, cache and config. */
import { gatherGpuFacts } from "../gpu/gather.ts";
import { cacheState } from "../agents/fetch_binary.ts";
import { agentPlatform, OPENCODE_VERSION, opencodePin } from "../agents/opencode.ts";
import { DevaipodError, InterruptedError, PermissionError, PodmanMissingError } from "../errors.ts";
import { devaipodDirs, userConfigPath } from "../paths.ts";
import type { Podman } from "../podman/driver.ts";
import type { EnvReader } from "../podman/runner.ts";
import { info, version } from "../podman/system.ts";
import { podCreate, podRm, podStart } from "../podman/pod.ts";
import { LABELS } from "../labels.ts";
import type { DoctorFacts } from "./checks.ts";

/** What gathering needs. */
export interface GatherDeps {
  podman: Podman;
  env: EnvReader;
  toolbox: boolean;
  configFlag?: string;
  /** Skip the end-to-end pod start (`doctor --no-run`). */
  skipSmoke?: boolean;
  exists?: (path: string) => Promise<boolean>;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function reason(err: unknown): string {
  if (err instanceof DevaipodError) return err.message.split("\n").at(-1)?.trim() ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Creates, starts and removes a labelled, empty pod: proves the runtime can start containers. */
export async function smokeTest(podman: Podman): Promise<NonNullable<DoctorFacts["smoke"]>> {
  const name = `devaipod-doctor-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await podman.run(podCreate({ name, labels: { [LABELS.role]: "doctor" } }));
    await podman.run(podStart(name));
    return { ok: true };
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    return { ok: false, message: reason(err) };
  } finally {
    await podman.run(podRm(name, { force: true, timeoutSeconds: 0 }), { cleanup: true }).catch(
      () => {},
    );
  }
}

/** Rethrows what is not podman's fault: this devaipod may not run it at all, or the user stopped it. */
function rethrowOwn(err: unknown): void {
  if (
    err instanceof PermissionError || err instanceof InterruptedError ||
    !(err instanceof DevaipodError)
  ) throw err;
}

/**
 * `podman info` (which carries the version too); only when it fails, `podman version` tells a
 * missing podman from a broken one. One podman process on the happy path.
 */
async function probePodman(podman: Podman): Promise<DoctorFacts["podman"]> {
  try {
    const found = await podman.run(info());
    return { state: "ok", version: found.version.Version, info: found };
  } catch (infoErr) {
    rethrowOwn(infoErr);
    if (infoErr instanceof PodmanMissingError) return { state: "missing" };
    try {
      const v = await podman.run(version());
      return { state: "ok", version: v.Client.Version, info: { error: reason(infoErr) } };
    } catch (versionErr) {
      rethrowOwn(versionErr);
      if (versionErr instanceof PodmanMissingError) return { state: "missing" };
      return { state: "broken", message: reason(versionErr) };
    }
  }
}

/** Asks podman about itself and its host, and reads the cache and config. */
export async function gatherFacts(deps: GatherDeps): Promise<DoctorFacts> {
  const exists = deps.exists ?? fileExists;
  const podman = await probePodman(deps.podman);

  // The agent runs in podman's (Linux) machine: its architecture decides the binary.
  const arch = podman.state === "ok" && !("error" in podman.info)
    ? podman.info.host.arch
    : Deno.build.arch;
  const platform = agentPlatform(arch);
  const agent: DoctorFacts["agent"] = { platform, status: "missing", version: OPENCODE_VERSION };
  if (platform) {
    const state = await cacheState(devaipodDirs(deps.env).cache, opencodePin(platform));
    agent.status = state.status;
    agent.path = state.path;
  }

  const configPath = userConfigPath(deps.env, deps.configFlag);
  const canRun = podman.state === "ok" && !("error" in podman.info);
  return {
    podmanPrefix: deps.podman.runner.prefix,
    podman,
    ...(canRun && !deps.skipSmoke ? { smoke: await smokeTest(deps.podman) } : {}),
    toolbox: deps.toolbox,
    agent,
    userConfig: { path: configPath, exists: await exists(configPath) },
    gpu: await gatherGpuFacts(deps.env),
  };
}
