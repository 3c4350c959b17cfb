/**
 * Bringing the project into the workspace volume without touching the host's tree: a git
 * project is cloned at its current HEAD (local commits included, uncommitted changes not) into
 * a temporary folder, archived and imported into the volume; a folder without git is archived
 * as it is. The clone's `origin` points where the project's own `origin` points.
 */
import { join } from "node:path";
import { FailedError } from "../errors.ts";
import type { Podman } from "../podman/driver.ts";
import { volumeImport } from "../podman/volume.ts";

const decoder = new TextDecoder();

async function run(
  program: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(program, {
      args,
      ...(cwd ? { cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FailedError(`cannot run '${program}': not found`, {
        hint: `install ${program}`,
        cause: err,
      });
    }
    throw err;
  }
}

async function must(program: string, args: string[], cwd?: string): Promise<string> {
  const r = await run(program, args, cwd);
  if (r.code !== 0) {
    throw new FailedError(
      `${program} ${args.join(" ")} failed (exit ${r.code}): ${
        r.stderr.trim().split("\n").slice(-3).join(" ")
      }`,
    );
  }
  return r.stdout;
}

/** Whether `path` is the top of a git work tree (or inside one). */
export async function isGitProject(path: string): Promise<boolean> {
  const r = await run("git", ["-C", path, "rev-parse", "--is-inside-work-tree"]);
  return r.code === 0 && r.stdout.trim() === "true";
}

/** The git root of a project (the folder the workspace volume holds). */
export async function gitRoot(path: string): Promise<string> {
  return (await must("git", ["-C", path, "rev-parse", "--show-toplevel"])).trim();
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
      await must("git", ["clone", "--quiet", "--no-hardlinks", projectRoot, tree]);
      commit = (await must("git", ["-C", tree, "rev-parse", "HEAD"])).trim();
      const origin = await run("git", ["-C", projectRoot, "remote", "get-url", "origin"]);
      if (origin.code === 0 && origin.stdout.trim()) {
        await must("git", ["-C", tree, "remote", "set-url", "origin", origin.stdout.trim()]);
      } else {
        await must("git", ["-C", tree, "remote", "remove", "origin"]);
      }
    }
    const tarball = join(work, "tree.tar");
    await must("tar", ["-C", git ? tree : projectRoot, "-cf", tarball, "."]);
    await podman.run(volumeImport(volume, tarball));
    return commit;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
