/**
 * Starting a stopped workspace: its containers in the order they need each other, a wait for
 * the agent, the shims' links, and the start hooks (or, for containers an interrupted `up` left
 * without them, the create hooks and the dotfiles).
 */
import { FailedError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import * as p from "../podman/mod.ts";
import type { PodListEntry, Podman } from "../podman/mod.ts";
import { redactUrl } from "../sources/parse.ts";
import type { Progress } from "../util/progress.ts";
import { agentEndpoint } from "./agent_endpoint.ts";
import { waitHealthy } from "./agent_http.ts";
import { fetchDotfiles } from "./dotfiles.ts";
import type { Dotfiles, DotfilesConfig } from "./dotfiles.ts";
import { workspaceContainers, workspaceOf } from "./inventory.ts";
import { recordedConfig } from "./recorded_config.ts";
import { linkShims } from "./shims.ts";
import { createHooksDone, workspaceDirs } from "./state.ts";
import { runContainerHooks, waitHealthCheck } from "./up.ts";

/** What {@link startWorkspace} needs from its surroundings. */
export interface StartDeps {
  podman: Podman;
  progress: Progress;
  /** Hook output (stderr unless quiet). */
  log: (text: string) => void;
  /** devaipod's state directory (the markers of finished create hooks live under it). */
  stateDir: string;
  /** The host's environment, for the project config's `${localEnv:…}`. */
  hostEnv: Readonly<Record<string, string>>;
  /** The user config's dotfiles; asked only when a container's create hooks never finished. */
  userDotfiles: () => Promise<DotfilesConfig | undefined>;
}

/** Options of {@link startWorkspace}. */
export interface StartOptions {
  /** How long to wait for the agent to become healthy. */
  readyTimeoutSeconds: number;
  /** systemd started the containers already (a Quadlet workspace): podman starts none. */
  started?: boolean;
}

/**
 * Starts the workspace whose pod is `pod`. Behind the egress proxy the agent, the proxy and the
 * gator are not pod members: the proxy starts first (the agent's only way out), then the gator,
 * then the pod, then the agent. Then it waits for the agent (its own health check behind the proxy, else its server
 * through the published port), links the shims again (the links live in the container's layer),
 * and runs the project's postStartCommand in both containers; a container whose create hooks
 * never finished (an `up` that was killed) gets those and the user's dotfiles instead.
 * Throws {@link FailedError} when the agent does not become healthy in time.
 *
 * @example
 * ```ts
 * await startWorkspace(deps, await findWorkspace(podman, "web"), { readyTimeoutSeconds: 120 });
 * ```
 */
export async function startWorkspace(
  deps: StartDeps,
  pod: PodListEntry,
  options: StartOptions,
): Promise<void> {
  const { podman, progress } = deps;
  const workspace = workspaceOf(pod);
  const before = await workspaceContainers(podman, workspace);
  const proxy = before.get(ROLES.proxy);
  const outsideAgent = proxy ? before.get(ROLES.agent) : undefined;
  if (proxy && !options.started) {
    await progress.step("start the egress proxy", () => podman.run(p.containerStart(proxy.Id)));
  }
  const gator = before.get(ROLES.gator);
  if (gator && !options.started) {
    await progress.step("start the gator", () => podman.run(p.containerStart(gator.Id)));
  }
  if (!options.started) {
    await progress.step(`start pod ${pod.Name}`, () => podman.run(p.podStart(pod.Name)));
  }
  if (outsideAgent && !options.started) {
    await progress.step("start the agent", () => podman.run(p.containerStart(outsideAgent.Id)));
  }
  const containers = await workspaceContainers(podman, workspace);
  const ws = containers.get(ROLES.workspace);
  const agent = containers.get(ROLES.agent);
  const timeoutMs = options.readyTimeoutSeconds * 1000;
  const endpoint = proxy ? undefined : await agentEndpoint(podman, ws);
  await progress.step("agent healthy", async () => {
    const healthy = outsideAgent
      ? await waitHealthCheck(podman, outsideAgent.Id, timeoutMs)
      : endpoint !== undefined && await waitHealthy(endpoint, timeoutMs);
    if (!healthy) {
      throw new FailedError("the agent did not become healthy", {
        hint: `\`devaipod logs ${workspace} -c agent\` shows why`,
      });
    }
  });
  const resolved = await recordedConfig(pod, deps.hostEnv);
  // The links that let login shells find the shims live in the container's layer: any that went
  // missing come back (before the hooks, which may run login shells).
  if (ws) {
    for (const line of await linkShims(podman, ws.Id)) progress.note(line);
  }
  const hooksDir = workspaceDirs(deps.stateDir, workspace).hooks;
  // Containers whose create hooks never finished (an up that was killed) get them now, and the
  // dotfiles with them.
  const unfinished = ws && agent
    ? !(await createHooksDone(hooksDir, ws.Id)) || !(await createHooksDone(hooksDir, agent.Id))
    : false;
  const dotfiles = unfinished ? await cloneDotfiles(deps) : undefined;
  if ((resolved || dotfiles) && ws && agent) {
    const [wsInspect, agentInspect] = await podman.run(p.containerInspect(ws.Id, agent.Id));
    await runContainerHooks({ podman, progress, log: deps.log }, {
      ...(dotfiles ? { dotfiles } : {}),
      steps: resolved?.lifecycle.steps ?? [],
      event: "start",
      workspace: ws.Id,
      remoteUser: wsInspect?.Config.Labels[LABELS.remoteUser] || undefined,
      agent: agent.Id,
      agentUser: agentInspect?.Config.User ?? "1000:1000",
      workdir: wsInspect?.Config.WorkingDir || "/",
      hooksDir,
      remoteEnv: resolved?.config.remoteEnv,
      waitFor: resolved?.lifecycle.waitFor,
    });
  }
}

/** The user config's dotfiles, cloned; undefined when it names none. */
async function cloneDotfiles(deps: StartDeps): Promise<Dotfiles | undefined> {
  const config = await deps.userDotfiles();
  if (!config?.url) return undefined;
  return await deps.progress.step(
    `dotfiles: clone ${redactUrl(config.url)}`,
    () => fetchDotfiles(config),
  );
}
