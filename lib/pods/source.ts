/**
 * Bringing the project into the workspace's volumes without touching the host's tree: a git
 * project is cloned at its current HEAD (local commits included, uncommitted changes not) into
 * a temporary folder, archived and imported into the volume; a folder without git is archived
 * as it is. The clone's `origin` points where the project's own `origin` points.
 *
 * The same clone then becomes the agent's own: a branch `devaipod/<workspace>` at the same commit,
 * archived again and imported into the agent's volume (a folder without git: the same files). A workspace made before the agent
 * had a clone of its own gets one from the human's current tree in its work volume
 * ({@link copyFromVolume}), which is only read, and read as data: git never runs in it.
 */
import { join, relative } from "node:path";
import { FailedError } from "../errors.ts";
import { mustRun, runProcess } from "../util/process.ts";
import type { Podman } from "../podman/driver.ts";
import { volumeExport } from "../podman/volume.ts";
import { redactUrl } from "../sources/parse.ts";
import {
  isObjectFile,
  parseHead,
  parseLooseRef,
  parsePackedRefs,
  parseShallow,
  resolveHead,
} from "./git_refs.ts";

/** What git says of a folder: a bare repository, a work tree (and its root), or neither. */
export interface GitFacts {
  bare: boolean;
  /** The work tree's top level, when the folder is in one. */
  root?: string;
}

/** {@link GitFacts} of `path`, from one `git rev-parse` (`up` runs it before planning). */
export async function gitFacts(path: string): Promise<GitFacts> {
  const r = await runProcess("git", [
    "-C",
    path,
    "rev-parse",
    "--is-bare-repository",
    "--is-inside-work-tree",
    "--show-toplevel",
  ]);
  // A bare repository fails at --show-toplevel, after the first two answers.
  const [bare, inside, root] = r.stdout.split("\n").map((l) => l.trim());
  if (bare === "true") return { bare: true };
  return r.code === 0 && inside === "true" && root ? { bare: false, root } : { bare: false };
}

/** The project as `up` copies it into the volumes, prepared on the host. */
export interface ProjectCopy {
  /** The folder that is archived into a volume. */
  tree: string;
  /** The commit the tree is at; undefined for a folder without git. */
  commit?: string;
  /** A temporary folder of devaipod's, removed by {@link disposeCopy}. */
  scratch: string;
  /** The environment git runs with in {@link tree} (added to the inherited one). */
  gitEnv?: Record<string, string>;
  /** An archive of the tree made earlier (a folder without git is archived once). */
  archive?: string;
  /**
   * {@link copyFromVolume}: the hooks in the human's `.git/hooks` (samples aside), which an agent
   * that shared the tree could have planted.
   */
  hooks?: string[];
}

/**
 * Clones the project at HEAD into a temporary folder (a folder without git is used as it is).
 * Credentials in the project's `origin` URL stay on the host: the clone's `origin` has none.
 */
export async function cloneProject(projectRoot: string, git: boolean): Promise<ProjectCopy> {
  const scratch = await Deno.makeTempDir({ prefix: "devaipod-source-" });
  if (!git) return { tree: projectRoot, scratch };
  try {
    const tree = join(scratch, "tree");
    await mustRun("git", ["clone", "--quiet", "--no-hardlinks", projectRoot, tree]);
    const commit = (await mustRun("git", ["-C", tree, "rev-parse", "HEAD"])).trim();
    const origin = await projectOrigin(projectRoot);
    if (origin) {
      await mustRun("git", ["-C", tree, "remote", "set-url", "origin", origin]);
    } else {
      await mustRun("git", ["-C", tree, "remote", "remove", "origin"]);
    }
    return { tree, commit, scratch };
  } catch (err) {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    throw err;
  }
}

/** The project's `origin` URL without credentials; undefined when it has none (or no git). */
async function projectOrigin(projectRoot: string): Promise<string | undefined> {
  const origin = await runProcess("git", ["-C", projectRoot, "remote", "get-url", "origin"]);
  return origin.code === 0 && origin.stdout.trim() ? redactUrl(origin.stdout.trim()) : undefined;
}

/**
 * Puts the copy's clone on a new branch at its commit (the agent's: `devaipod/<workspace>`):
 * `git branch` and HEAD moved onto it, which leaves the files and the index as they are (a
 * checkout would refresh the index of every file for nothing).
 */
export async function branchCopy(copy: ProjectCopy, branch: string): Promise<void> {
  if (!copy.commit) throw new Error("a folder without git has no branch");
  const options = copy.gitEnv ? { env: copy.gitEnv } : {};
  await mustRun("git", ["-C", copy.tree, "branch", "--no-track", branch, copy.commit], options);
  await mustRun("git", ["-C", copy.tree, "symbolic-ref", "HEAD", `refs/heads/${branch}`], options);
  // The tree changed: an earlier archive no longer holds it.
  delete copy.archive;
}

/**
 * An archive of the copy's tree as it is now, for `podman volume import` (made once while the
 * tree does not change: a folder without git feeds both volumes from one archive).
 */
export async function archiveCopy(copy: ProjectCopy): Promise<string> {
  if (copy.archive) return copy.archive;
  const tarball = join(copy.scratch, `${crypto.randomUUID()}.tar`);
  await mustRun("tar", ["-C", copy.tree, "-cf", tarball, "."]);
  copy.archive = tarball;
  return tarball;
}

/** Removes the copy's temporary folder. */
export async function disposeCopy(copy: ProjectCopy): Promise<void> {
  await Deno.remove(copy.scratch, { recursive: true }).catch(() => {});
}

/** git in a repository devaipod made: no system or user config, no hooks, no fsmonitor. */
const CLEAN_GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_CONFIG_COUNT: "2",
  GIT_CONFIG_KEY_0: "core.hooksPath",
  GIT_CONFIG_VALUE_0: "/dev/null",
  GIT_CONFIG_KEY_1: "core.fsmonitor",
  GIT_CONFIG_VALUE_1: "false",
};

/** The parts of a work tree's `.git` a copy reads (as data). */
const GIT_PARTS = [".git/HEAD", ".git/packed-refs", ".git/shallow", ".git/refs", ".git/objects"];

/**
 * A copy of the human's current tree in `volume` (`podman volume export`; the volume is only
 * read), for an agent's clone made after the fact. With a `.git` folder: a new repository made
 * by devaipod from the tree's objects and refs, read as data (regular files only, symlinks and
 * everything else dropped before git runs; object ids checked; no config, hooks, alternates or
 * attributes drivers of the tree's), checked out at the tree's HEAD; its uncommitted changes
 * are not taken. Without one: the files as they are. `origin` is the project's (credentials
 * removed), as for a new clone.
 */
export async function copyFromVolume(
  podman: Podman,
  volume: string,
  projectRoot: string,
): Promise<ProjectCopy> {
  const scratch = await Deno.makeTempDir({ prefix: "devaipod-migrate-" });
  try {
    const exported = join(scratch, "human.tar");
    await podman.run(volumeExport(volume, exported));
    return await copyFromArchive(scratch, exported, projectRoot);
  } catch (err) {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    throw err;
  }
}

/**
 * {@link copyFromVolume} once the volume is archived: `exported` (a tar of a work tree, in
 * `scratch`, which the copy then owns) becomes a {@link ProjectCopy}.
 */
export async function copyFromArchive(
  scratch: string,
  exported: string,
  projectRoot: string,
): Promise<ProjectCopy> {
  const names = new Set((await mustRun("tar", ["-tf", exported])).split("\n"));
  // podman names the members `.git/…`; a tar of `.` names them `./.git/…`.
  const member = (path: string) =>
    [path, `${path}/`, `./${path}`, `./${path}/`].find((n) => names.has(n));
  const hooks = [...names].flatMap((n) => {
    const hook = /^(?:\.\/)?\.git\/hooks\/([^/]+)$/.exec(n)?.[1];
    return hook && !hook.endsWith(".sample") ? [hook] : [];
  }).sort();
  if (!member(".git/HEAD") || !member(".git/objects")) {
    // No git repository: the agent gets the files, as a new workspace of a plain folder does.
    return { tree: join(scratch, "none"), scratch, archive: exported };
  }
  const source = join(scratch, "source");
  await Deno.mkdir(source);
  // Only the parts read, never as their owner; GNU tar makes no link that leads outside.
  await mustRun("tar", [
    "-xf",
    exported,
    "-C",
    source,
    "--no-same-owner",
    "--no-same-permissions",
    ...GIT_PARTS.flatMap((p) => member(p) ?? []),
  ]);
  await Deno.remove(exported);
  await keepRegularFiles(source);
  return { ...await rebuildRepository(scratch, join(source, ".git"), projectRoot), hooks };
}

/** Removes everything under `dir` that is neither a regular file nor a folder (symlinks too). */
async function keepRegularFiles(dir: string): Promise<void> {
  // Readable and writable by devaipod, whatever modes the archive gave (a folder before its walk).
  await Deno.chmod(dir, 0o700);
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await keepRegularFiles(path);
    else if (!entry.isFile) await Deno.remove(path);
    else await Deno.chmod(path, 0o600);
  }
}

/** Every regular file under `dir`, as paths relative to it. */
async function regularFiles(dir: string, under = dir): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await regularFiles(path, under));
    else if (entry.isFile) out.push(relative(under, path));
  }
  return out;
}

/** A small text file of the extracted `.git`, or undefined when it is not there. */
async function readSmall(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile || info.size > 1 << 20) return undefined;
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** A new repository in `scratch/tree` from the objects and refs of `gitDir`, checked out at its HEAD. */
async function rebuildRepository(
  scratch: string,
  gitDir: string,
  projectRoot: string,
): Promise<ProjectCopy> {
  const loose = new Map<string, string>();
  for (const file of await regularFiles(join(gitDir, "refs")).catch(() => [])) {
    const id = parseLooseRef(await readSmall(join(gitDir, "refs", file)) ?? "");
    if (id) loose.set(`refs/${file}`, id);
  }
  const head = parseHead(await readSmall(join(gitDir, "HEAD")) ?? "");
  const commit = resolveHead(
    head,
    loose,
    parsePackedRefs(await readSmall(join(gitDir, "packed-refs")) ?? ""),
  );
  const broken = (why: string) =>
    new FailedError(`cannot make the agent's clone from the human's tree: ${why}`, {
      hint: "run `git status` in the workspace to see what is wrong with its repository, " +
        "fix it, then run `devaipod rebuild` again",
    });
  if (!commit) throw broken("its HEAD names no commit");
  const tree = join(scratch, "tree");
  const git = (args: string[]) => mustRun("git", ["-C", tree, ...args], { env: CLEAN_GIT_ENV });
  await mustRun("git", [
    "init",
    "--quiet",
    "--template=",
    ...(commit.length === 64 ? ["--object-format=sha256"] : []),
    tree,
  ], { env: CLEAN_GIT_ENV });
  const objects = join(tree, ".git", "objects");
  // A `.git/objects` that was a link is gone by now: no objects, and the check below says so.
  for (const file of await regularFiles(join(gitDir, "objects")).catch(() => [])) {
    if (!isObjectFile(file)) continue;
    await Deno.mkdir(join(objects, file, ".."), { recursive: true });
    await Deno.rename(join(gitDir, "objects", file), join(objects, file));
  }
  const shallow = await readSmall(join(gitDir, "shallow"));
  if (shallow !== undefined) {
    const ids = parseShallow(shallow);
    if (!ids) throw broken("its .git/shallow is not a list of commits");
    await Deno.writeTextFile(join(tree, ".git", "shallow"), ids.map((id) => `${id}\n`).join(""));
  }
  const exists = await runProcess("git", ["-C", tree, "cat-file", "-e", `${commit}^{commit}`], {
    env: CLEAN_GIT_ENV,
  });
  if (exists.code !== 0) throw broken(`its HEAD ${commit.slice(0, 12)} is not in its objects`);
  await git(["update-ref", "--no-deref", "HEAD", commit]);
  await git(["reset", "--quiet", "--hard"]);
  const origin = await projectOrigin(projectRoot);
  if (origin) await git(["remote", "add", "origin", origin]);
  return { tree, commit, scratch, gitEnv: CLEAN_GIT_ENV };
}

/**
 * What `up` says when it made the agent's volume from the human's tree ({@link copyFromVolume}):
 * what it made, that the work volume was only read, and, for a git tree, that the agent could
 * write that tree until now (with the hooks found there).
 */
export function migrationNotes(m: {
  workVolume: string;
  agentVolume: string;
  branch: string;
  commit?: string | undefined;
  hooks?: readonly string[] | undefined;
}): string[] {
  if (!m.commit) {
    return [
      `${m.workVolume} predates the agent's own copy: made ${m.agentVolume} as a copy of its ` +
      `files; ${m.workVolume} was only read`,
    ];
  }
  return [
    `${m.workVolume} predates the agent's own clone: made ${m.agentVolume} from it, a clone of ` +
    `its HEAD ${m.commit.slice(0, 12)} (uncommitted changes not taken) on branch ${m.branch}; ` +
    `${m.workVolume} was only read`,
    `the agent could write ${m.workVolume} until now: look at its .git/config and .git/hooks ` +
    `before you trust them${m.hooks?.length ? ` (hooks there: ${m.hooks.join(", ")})` : ""}`,
  ];
}
