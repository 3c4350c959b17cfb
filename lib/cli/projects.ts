/**
 * A multi-project workspace's further projects: which of `up`'s arguments are projects (folders
 * or git URLs) and which is the task, and each project made ready on the host: a folder as it is,
 * a git URL cloned into the workspace's state folder. `customizations.devaipod.projects` adds
 * more, relative to the first project's folder.
 */
import { basename, join, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import type { ProjectInput } from "../plan/pod_plan.ts";
import { gitFacts } from "../pods/source.ts";
import { cloneGit } from "../sources/clone.ts";
import { parseSource, redactUrl } from "../sources/parse.ts";
import type { ForgeKind } from "../sources/parse.ts";
import { sourceBaseName } from "../pods/remote_source.ts";
import type { ProjectSource } from "../pods/projects_label.ts";

export type { ProjectSource };

const isFolder = (path: string) => Deno.stat(path).then((s) => s.isDirectory, () => false);

/**
 * Splits `up`'s arguments after the first: each folder or git URL is a further project; the last
 * argument that is neither is the task. Anything else is a usage error naming it.
 */
export async function splitProjectsAndTask(
  args: readonly string[],
  cwd: string,
  forges: Readonly<Record<string, ForgeKind>>,
): Promise<{ projects: string[]; task?: string }> {
  const projects: string[] = [];
  let task: string | undefined;
  for (const [i, arg] of args.entries()) {
    let kind: string | undefined;
    try {
      kind = parseSource(arg, forges).kind;
    } catch {
      kind = undefined;
    }
    if (kind === "pr") {
      throw new UsageError(`'${arg}': a pull request can only be the first source`);
    }
    if (kind === "git") projects.push(arg);
    else if (kind === "path" && arg.trim() !== "" && await isFolder(resolve(cwd, arg))) {
      projects.push(resolve(cwd, arg));
    } else if (i === args.length - 1) task = arg;
    else {
      throw new UsageError(
        `'${arg}' is neither a folder nor a git URL: up takes SOURCE [SOURCE…] [TASK], with the task last`,
      );
    }
  }
  return { projects, ...(task !== undefined ? { task } : {}) };
}

/**
 * Makes each further project ready: a folder is used where it is (its git top level when it is
 * in a repository), a git URL is cloned into `stateRoot/projects/NAME` (kept there, like the
 * first source's clone; an existing clone is reused). Names are the folders' or repositories'
 * names, and must differ from each other and from `taken` (the first project's).
 */
export async function prepareProjects(
  sources: readonly ProjectSource[],
  options: {
    /** The first project's folder: config projects are relative to it. */
    folder: string;
    /** The workspace's state folder (git URLs are cloned under it). */
    stateRoot: string;
    /** The name the first project has under /workspaces. */
    taken: string;
    /** A dry run clones nothing. */
    dryRun: boolean;
    forges: Readonly<Record<string, ForgeKind>>;
    note: (line: string) => void;
  },
): Promise<ProjectInput[]> {
  const out: ProjectInput[] = [];
  const seen = new Map<string, string>([[options.taken, "the first project"]]);
  for (const { source, from } of sources) {
    const parsed = parseSource(source, options.forges);
    if (parsed.kind === "pr") {
      throw new UsageError(`'${source}': a pull request can only be the first source`);
    }
    let project: ProjectInput;
    if (parsed.kind === "git") {
      const name = sourceBaseName(parsed);
      const dir = join(options.stateRoot, "projects", name);
      if (!options.dryRun && !(await isFolder(join(dir, ".git")))) {
        await Deno.mkdir(join(options.stateRoot, "projects"), { recursive: true });
        const got = await cloneGit(parsed.url, dir);
        options.note(
          `project ${name}: cloned ${redactUrl(parsed.url)} at ${got.commit.slice(0, 12)}`,
        );
      }
      project = { name, root: dir, git: true, source: `${from}:${source}` };
    } else {
      const folder = resolve(options.folder, source);
      if (!(await isFolder(folder))) {
        throw new UsageError(`project '${source}' is not a folder (${folder})`);
      }
      const facts = await gitFacts(folder);
      const root = facts.root ?? folder;
      project = {
        name: basename(root),
        root,
        git: facts.root !== undefined,
        source: `${from}:${folder}`,
      };
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(project.name)) {
      throw new UsageError(
        `project '${source}': '${project.name}' cannot name a folder under /workspaces`,
      );
    }
    const clash = seen.get(project.name);
    if (clash !== undefined) {
      if (clash === project.root) continue; // the same project named twice
      throw new UsageError(
        `project '${source}' would be /workspaces/${project.name}, like ${clash}`,
        { hint: "rename one of the folders; each project gets /workspaces/<its name>" },
      );
    }
    seen.set(project.name, project.root);
    out.push(project);
  }
  return out;
}
