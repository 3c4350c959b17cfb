/**
 * Where the project appears inside the container, as the reference implementation decides it:
 * the project's git root is mounted at `/workspaces/<root name>` and the workspace folder is the
 * project's place below it, unless devcontainer.json sets `workspaceFolder`/`workspaceMount`.
 * Also the `${devcontainerId}` of a project.
 */
import { sha256Hex } from "../util/hash.ts";
import { posix, win32 } from "node:path";
import type { ConfigFs } from "./fs.ts";

/** The folder of the git repository that holds `folder` (via `.git/config`, or a `.git` file of a worktree). */
export async function findGitRoot(
  fs: ConfigFs,
  folder: string,
  windows = false,
): Promise<string | undefined> {
  const path = windows ? win32 : posix;
  for (
    let current = folder, previous = "";
    current !== previous;
    previous = current, current = path.dirname(current)
  ) {
    if (
      await fs.isFile(path.join(current, ".git", "config")) ||
      await fs.isFile(path.join(current, ".git"))
    ) {
      return current;
    }
  }
  return undefined;
}

/** The container side of the workspace. */
export interface WorkspaceLayout {
  /** The workspace folder inside the container. */
  workspaceFolder: string;
  /** The `--mount` value that brings the project in (absent for Compose). */
  workspaceMount: string | undefined;
}

/** Inputs of {@link defaultWorkspaceLayout}: the raw (unsubstituted) config's own settings. */
export interface LayoutInput {
  fs: ConfigFs;
  localWorkspaceFolder: string;
  platform: typeof Deno.build.os;
  compose: boolean;
  workspaceFolder?: string | undefined;
  /** Whether the config has a `workspaceMount` key at all. */
  hasWorkspaceMount: boolean;
  workspaceMount?: string | undefined;
}

/** The layout before substitution (its folder may still hold variables). */
export async function defaultWorkspaceLayout(input: LayoutInput): Promise<WorkspaceLayout> {
  if (input.compose) {
    return { workspaceFolder: input.workspaceFolder || "/", workspaceMount: undefined };
  }
  let workspaceFolder = input.workspaceFolder || undefined;
  let workspaceMount = input.workspaceMount;
  if (!workspaceFolder || !input.hasWorkspaceMount) {
    const windows = input.platform === "windows";
    const path = windows ? win32 : posix;
    const mountFolder = (await findGitRoot(input.fs, input.localWorkspaceFolder, windows)) ??
      input.localWorkspaceFolder;
    const containerMountFolder = posix.join("/workspaces", path.basename(mountFolder));
    if (!workspaceFolder) {
      const rel = path.relative(mountFolder, input.localWorkspaceFolder);
      workspaceFolder = posix.join(containerMountFolder, windows ? rel.replaceAll("\\", "/") : rel);
    }
    if (!input.hasWorkspaceMount) {
      // podman does not accept consistency=; the reference adds it only off Linux.
      const consistency = input.platform === "linux" ? "" : ",consistency=consistent";
      const q = (p: string) => (p.includes(",") ? '"' : "");
      workspaceMount = `type=bind,${q(mountFolder)}source=${mountFolder}${q(mountFolder)},` +
        `${q(containerMountFolder)}target=${containerMountFolder}${
          q(containerMountFolder)
        }${consistency}`;
    }
  }
  return { workspaceFolder: workspaceFolder ?? "/", workspaceMount };
}

/**
 * `${devcontainerId}`: a stable 52-character id from the labels that identify a project's
 * container (`devcontainer.local_folder`, `devcontainer.config_file`), as the reference computes
 * it: sha256 of the labels as JSON with sorted keys, as a base-32 number.
 */
export async function devcontainerId(idLabels: Readonly<Record<string, string>>): Promise<string> {
  const keys = Object.keys(idLabels).sort();
  const hex = await sha256Hex(JSON.stringify(idLabels, keys));
  return BigInt(`0x${hex}`).toString(32).padStart(52, "0");
}

/** The id labels of a project's dev container. */
export function idLabelsFor(
  localWorkspaceFolder: string,
  configFile: string,
): Record<string, string> {
  return {
    "devcontainer.local_folder": localWorkspaceFolder,
    "devcontainer.config_file": configFile,
  };
}
