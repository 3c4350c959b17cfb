/**
 * Workspaces that systemd runs from Quadlet units (`up --backend quadlet`). Their pod's service
 * starts and stops the whole workspace; a stopped one has no pod, container or running network
 * (Quadlet's containers are removed when they stop): its units and volumes are what remain.
 * `stop`, `start`, `delete`, `list`, `status` and `logs` find them here and act through systemd.
 */
import { ConflictError, FailedError, InterruptedError } from "../errors.ts";
import { podName } from "../plan/pod_plan.ts";
import { containerServices, quadletService } from "../plan/quadlet_names.ts";
import { installedUnits, installedWorkspaces, removeUnitFiles } from "../quadlet/install.ts";
import type { Systemd, UnitState } from "../systemd/systemd.ts";
import { bareName } from "./inventory.ts";

/** One Quadlet workspace on this host. */
export interface QuadletWorkspace {
  workspace: string;
  /** Its unit files (full paths). */
  files: string[];
  /** The pod's service: starting or stopping it starts or stops every unit. */
  service: string;
}

/** The service of a workspace's pod unit (`devaipod-w.pod` → `devaipod-w-pod.service`). */
export function podService(workspace: string): string {
  return quadletService(`${podName(workspace)}.pod`);
}

/** The service that runs one of a workspace's containers (its name and `.service`). */
export function containerService(container: string): string {
  return quadletService(`${container}.container`);
}

/**
 * The Quadlet workspace that `name` names exactly (as given, else without `devaipod-`), or
 * undefined when none has units in `unitDir`.
 */
export async function quadletWorkspace(
  unitDir: string,
  name: string,
): Promise<QuadletWorkspace | undefined> {
  for (const workspace of new Set([name, bareName(name)])) {
    const files = await installedUnits(unitDir, workspace);
    if (files.some((f) => f.endsWith(".pod"))) {
      return { workspace, files, service: podService(workspace) };
    }
  }
  return undefined;
}

/** Every Quadlet workspace in `unitDir`, by name. */
export async function quadletWorkspaces(unitDir: string): Promise<string[]> {
  return (await installedWorkspaces(unitDir)).map((w) => w.workspace);
}

/** The state of the workspace's pod service (`active`, `inactive`, `failed`, …). */
export async function quadletState(systemd: Systemd, q: QuadletWorkspace): Promise<UnitState> {
  const [state] = await systemd.states([q.service]);
  return state ?? "unknown";
}

/** The pod's service first, then the service of every other unit file. */
export function allServices(podService: string, files: readonly string[]): string[] {
  const names = files.map((f) => quadletService(f.slice(f.lastIndexOf("/") + 1)));
  return [podService, ...names.filter((n) => n !== podService)];
}

export { containerServices };

/**
 * Waits until each of `services` is active: `systemctl start` of a pod returns before the
 * containers' services it wants are up. One that failed, or `timeoutMs` without, throws a
 * {@link FailedError} naming the journal to read.
 */
export async function waitServices(
  systemd: Systemd,
  services: readonly string[],
  options: { timeoutMs?: number; interrupted?: () => boolean } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const journal = `journalctl${systemd.scope === "user" ? " --user" : ""} -u`;
  for (;;) {
    const states = await systemd.states(services);
    if (states.every((s) => s === "active")) return;
    const failed = services.filter((_, i) => states[i] === "failed");
    if (failed.length || Date.now() > deadline) {
      const which = failed.length ? failed : services.filter((_, i) => states[i] !== "active");
      throw new FailedError(
        `${which.join(", ")} ${
          failed.length ? "failed to start" : `did not start within ${timeoutMs / 1000}s`
        }`,
        { hint: `\`${journal} ${which[0]}\` shows why` },
      );
    }
    if (options.interrupted?.()) throw new InterruptedError();
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Removes a workspace's units: stops its pod's service (refused while it runs, unless `force`),
 * removes the files and reloads systemd. Its podman objects (networks, secrets, volumes) are
 * left to the caller's {@link removeWorkspaceObjects}.
 */
export async function removeQuadletUnits(
  systemd: Systemd,
  q: QuadletWorkspace,
  options: { force?: boolean } = {},
): Promise<void> {
  const state = await quadletState(systemd, q);
  if ((state === "active" || state === "activating") && !options.force) {
    throw new ConflictError(`workspace ${q.workspace} is running (${q.service})`, {
      hint: `\`devaipod stop ${q.workspace}\` first, or \`devaipod delete -f ${q.workspace}\``,
    });
  }
  // Every unit's service: a network's or a volume's stays active after the pod's stops.
  await systemd.stop(allServices(q.service, q.files));
  await removeUnitFiles(q.files);
  await systemd.daemonReload();
}
