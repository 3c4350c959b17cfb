/**
 * Bringing the project into the workspace volume without touching the host's tree: a git
 * project is cloned at its current HEAD (local commits included, uncommitted changes not) into
 * a temporary folder, archived and imported into the volume; a folder without git is archived
 * as it is. The clone's `origin` points where the project's own `origin` points.
 */
import { join } from "node:path";
import { mustRun, runProcess } from "../util/process.ts";
import type { Podman } from "../podman/driver.ts";
import { volumeImport } from "../podman/volume.ts";
import { redactUrl } from "../sources/parse.ts";

/** Whether `path` is the top of a git work tree (or inside one). */
export async function isGitProject(path: string): Promise<boolean> {
  const r = await runProcess("git", ["-C", path, "rev-parse", "--is-inside-work-tree"]);
  return r.code === 0 && r.stdout.trim() === "true";
}

/** Whether `path` is a bare git repository (cloned, not copied, by `up`). */
export async function isBareRepository(path: string): Promise<boolean> {
  const r = await runProcess("git", ["-C", path, "rev-parse", "--is-bare-repository"]);
  return r.code === 0 && r.stdout.trim() === "true";
}

/** The git root of a project (the folder the workspace volume holds). */
export async function gitRoot(path: string): Promise<string> {
  return (await mustRun("git", ["-C", path, "rev-parse", "--show-toplevel"])).trim();
}

/**
 * Fills `volume` with the project (its git root, for a git project) and returns the commit it
 * holds, or undefined for a folder without git.
 */
export async function populateVolume(
  podman: Podman,
  volume: string,
  projectRoot: string,
  git: boolean,
): Promise<string | undefined> {
  const work = await Deno.makeTempDir({ prefix: "devaipod-source-" });
  try {
    const tree = join(work, "tree");
    let commit: string | undefined;
    if (git) {
      await mustRun("git", ["clone", "--quiet", "--no-hardlinks", projectRoot, tree]);
      commit = (await mustRun("git", ["-C", tree, "rev-parse", "HEAD"])).trim();
      const origin = await runProcess("git", ["-C", projectRoot, "remote", "get-url", "origin"]);
      if (origin.code === 0 && origin.stdout.trim()) {
        // Credentials in the origin URL stay on the host: the agent reads the volume.
        await mustRun("git", [
          "-C",
          tree,
          "remote",
          "set-url",
          "origin",
          redactUrl(origin.stdout.trim()),
        ]);
      } else {
        await mustRun("git", ["-C", tree, "remote", "remove", "origin"]);
      }
    }
    const tarball = join(work, "tree.tar");
    await mustRun("tar", ["-C", git ? tree : projectRoot, "-cf", tarball, "."]);
    await podman.run(volumeImport(volume, tarball));
    return commit;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
