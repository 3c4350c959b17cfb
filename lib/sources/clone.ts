/**
 * Cloning a git source or a pull request's head on the host, with git run by argv (never a
 * shell) and `GIT_TERMINAL_PROMPT=0`, so that a URL that needs credentials fails instead of
 * prompting. The target folder must not exist, or be empty.
 */
import { FailedError, NotFoundError, tailLines, UsageError } from "../errors.ts";
import type { PullRequest } from "./forge.ts";
import { redactUrl } from "./parse.ts";
import { runProcess } from "../util/process.ts";
import type { ProcessOutput } from "../util/process.ts";

/** What a clone checked out. */
export interface CloneResult {
  /** The commit at HEAD. */
  commit: string;
  /** The local branch at HEAD; absent when HEAD is detached (a tag or a commit). */
  branch?: string;
}

/** Runs git with `args` and without prompts; returns its exit code and output. */
function git(args: readonly string[]): Promise<ProcessOutput> {
  return runProcess("git", args, { env: { GIT_TERMINAL_PROMPT: "0" } });
}

/** Runs git; a non-zero exit is a {@link FailedError} saying `what` failed, with git's last words. */
async function mustGit(args: readonly string[], what: string): Promise<string> {
  const r = await git(args);
  if (r.code !== 0) {
    const tail = tailLines(r.stderr, 5);
    throw new FailedError(
      `${what} (git exit ${r.code})${tail.length ? `:\n  ${tail.join("\n  ")}` : ""}`,
    );
  }
  return r.stdout;
}

/** The commit `rev` names in `dir`, or undefined. */
async function resolveCommit(dir: string, rev: string): Promise<string | undefined> {
  const r = await git(["-C", dir, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

async function head(dir: string): Promise<CloneResult> {
  const commit = await resolveCommit(dir, "HEAD");
  if (commit === undefined) throw new FailedError(`the clone in ${dir} has no commit at HEAD`);
  const branch = await git(["-C", dir, "symbolic-ref", "--quiet", "--short", "HEAD"]);
  return branch.code === 0 ? { commit, branch: branch.stdout.trim() } : { commit };
}

async function clone(url: string, dir: string, checkout: boolean): Promise<void> {
  if (url.startsWith("-")) throw new UsageError(`invalid git URL '${url}'`);
  await mustGit(
    ["clone", "--quiet", ...(checkout ? [] : ["--no-checkout"]), "--", url, dir],
    `cannot clone ${redactUrl(url)}`,
  );
}

/**
 * Clones `url` into `dir` and checks out its default branch, or `options.ref`: a branch (a
 * local branch tracking it), a tag or a commit (detached). A ref the clone lacks is fetched by
 * name (for `refs/pull/7/head` and the like, or a commit id the server hands out) before it is
 * a {@link NotFoundError}; a ref that cannot be one is a {@link UsageError}. A failed clone is a {@link FailedError} with git's last lines.
 */
export async function cloneGit(
  url: string,
  dir: string,
  options: { ref?: string } = {},
): Promise<CloneResult> {
  const { ref } = options;
  if (ref === undefined) {
    await clone(url, dir, true);
    return await head(dir);
  }
  if (ref === "" || ref.startsWith("-") || /[\s:]/.test(ref)) {
    throw new UsageError(`--ref '${ref}': not a branch, tag or commit`);
  }
  await clone(url, dir, false);
  const what = `cannot check out ${ref}`;
  if (await resolveCommit(dir, `refs/remotes/origin/${ref}`) !== undefined) {
    await mustGit(["-C", dir, "checkout", "--quiet", "-B", ref, "--track", `origin/${ref}`], what);
    return await head(dir);
  }
  let commit = await resolveCommit(dir, `refs/tags/${ref}`) ?? await resolveCommit(dir, ref);
  if (commit === undefined) {
    const fetched = await git(["-C", dir, "fetch", "--quiet", "origin", ref]);
    if (fetched.code === 0) commit = await resolveCommit(dir, "FETCH_HEAD");
  }
  if (commit === undefined) {
    throw new NotFoundError(`--ref ${ref}: not found in ${redactUrl(url)}`, {
      hint: "give a branch, a tag or a commit id of that repository",
    });
  }
  await mustGit(["-C", dir, "checkout", "--quiet", "--detach", commit], what);
  return await head(dir);
}

/**
 * Clones the base repository of `pr` into `dir`, fetches `pr.headRef` and checks out a branch
 * `pr-N` at `pr.headSha`. When the fetched objects lack that commit (the pull request moved
 * since the API answered), the branch is made at the fetched head instead: callers compare
 * the result's `commit` with `pr.headSha` to warn.
 */
export async function clonePullRequest(pr: PullRequest, dir: string): Promise<CloneResult> {
  if (!/^refs\/[A-Za-z0-9/_.-]+$/.test(pr.headRef)) {
    throw new FailedError(`unexpected head ref '${pr.headRef}' for ${pr.webUrl}`);
  }
  await clone(pr.repoUrl, dir, false);
  await mustGit(
    ["-C", dir, "fetch", "--quiet", "origin", pr.headRef],
    `cannot fetch ${pr.headRef} from ${redactUrl(pr.repoUrl)}`,
  );
  const commit =
    (/^[0-9a-f]{40,64}$/.test(pr.headSha) ? await resolveCommit(dir, pr.headSha) : undefined) ??
      await resolveCommit(dir, "FETCH_HEAD");
  if (commit === undefined) {
    throw new FailedError(`fetching ${pr.headRef} from ${redactUrl(pr.repoUrl)} gave no commit`);
  }
  await mustGit(
    ["-C", dir, "checkout", "--quiet", "-B", `pr-${pr.number}`, commit],
    `cannot check out ${pr.headRef}`,
  );
  return await head(dir);
}
