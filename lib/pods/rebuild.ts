/**
 * What `rebuild` reads of a workspace before it replaces its containers: where it came from and
 * how it was made, so the new one is made the same way. The volumes (the user's files, the
 * agent's home) and the state folder stay; `deleteWorkspace` with `keepState` removes the rest.
 */
import { recordedProjects } from "./projects_label.ts";
import type { ProjectSource } from "./projects_label.ts";
import { join } from "node:path";
import { FailedError } from "../errors.ts";
import { formatScope } from "../gator/scopes.ts";
import { parseScopesFile } from "../gator/scopes_file.ts";
import { LABELS, ROLES } from "../labels.ts";
import type { PodListEntry, Podman } from "../podman/mod.ts";
import { allowFileLines } from "../proxy/allow_file.ts";
import { workspaceContainers, workspaceOf } from "./inventory.ts";
import { readSourceRecord } from "./remote_source.ts";
import type { SourceRecord } from "./remote_source.ts";
import { workspaceDirs } from "./state.ts";

/** A workspace as `rebuild` makes it again. */
export interface RebuildTarget {
  workspace: string;
  /** The project folder (a URL source's clone in the state folder). */
  project: string;
  /** The task the agent was given, sent again unless `--no-prompt`. */
  task?: string;
  /** The image the workspace ran (what `--image` gave, or the config's). */
  image?: string;
  /** The devcontainer.json it was made from (`up --devcontainer` may have chosen it). */
  configFile?: string;
  /** Where a URL source came from. */
  recorded?: SourceRecord;
  /** The agent profile chosen at `up` (`--agent` and the like), kept by the rebuild. */
  agent?: string;
  /** `up --trust-source` was given for its URL source. */
  trustSource: boolean;
  /** The further projects named on `up`'s command line (the config's are read again). */
  projects: ProjectSource[];
  /** Behind the egress proxy: its outside network and the hosts added with `allow`. */
  isolation?: { egressNetwork: string; allowed: string[] };
  /** The gator's scopes now (those `gator add` gave too), or false: it had no gator. */
  gator: string[] | false;
}

/**
 * Reads what a rebuild of the workspace whose pod is `pod` keeps: its labels, whether it runs
 * behind the proxy, and the hosts added with `allow` (from its state folder under `stateDir`).
 * Throws {@link FailedError} when the pod does not record its project folder.
 */
export async function rebuildTarget(
  podman: Podman,
  stateDir: string,
  pod: PodListEntry,
): Promise<RebuildTarget> {
  const workspace = workspaceOf(pod);
  const labels = pod.Labels;
  const project = labels[LABELS.project];
  if (!project) throw new FailedError(`workspace ${workspace} does not record its project folder`);
  const containers = await workspaceContainers(podman, workspace);
  const isolated = containers.has(ROLES.proxy);
  const dirs = workspaceDirs(stateDir, workspace);
  // The scopes as they are now: `gator add` and `remove` survive the rebuild.
  const gator = containers.has(ROLES.gator)
    ? await Deno.readTextFile(dirs.gatorScopes).then(
      (text) => parseScopesFile(text, dirs.gatorScopes).map(formatScope),
      () => [],
    )
    : false;
  const recorded = readSourceRecord(labels);
  const [task, image, configFile, agent] = [
    labels[LABELS.task],
    labels[LABELS.image],
    labels[LABELS.configFile],
    labels[LABELS.agent],
  ];
  return {
    workspace,
    project,
    ...(task !== undefined ? { task } : {}),
    ...(image ? { image } : {}),
    ...(configFile ? { configFile } : {}),
    ...(agent ? { agent } : {}),
    ...(recorded ? { recorded } : {}),
    trustSource: labels[LABELS.sourceTrusted] === "true",
    projects: recordedProjects(labels[LABELS.projects]).filter((p) => p.from === "cli"),
    gator,
    ...(isolated
      ? {
        isolation: {
          egressNetwork: labels[LABELS.egressNetwork] ?? "podman",
          // Hosts added with `allow` survive the rebuild.
          allowed: await Deno.readTextFile(join(dirs.root, "allow"))
            .then(allowFileLines, () => []),
        },
      }
      : {}),
  };
}
