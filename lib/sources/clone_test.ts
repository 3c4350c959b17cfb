import { join } from "node:path";
import { FailedError, NotFoundError, UsageError } from "../errors.ts";
import { mustRun } from "../util/process.ts";
import { assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { cloneGit, clonePullRequest } from "./clone.ts";
import type { PullRequest } from "./forge.ts";

const IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"];

interface Fixture {
  tmp: string;
  url: string;
  /** Commits: main, feature (a branch), tagged (tag v1), pr (refs/pull/7/head), mr (refs/merge-requests/3/head). */
  sha: Record<"main" | "feature" | "tagged" | "pr" | "mr", string>;
}

async function commit(work: string, file: string, text: string): Promise<string> {
  await Deno.writeTextFile(join(work, file), text);
  await mustRun("git", ["-C", work, "add", file]);
  await mustRun("git", ["-C", work, ...IDENTITY, "commit", "--quiet", "-m", `add ${file}`]);
  return (await mustRun("git", ["-C", work, "rev-parse", "HEAD"])).trim();
}

/** A bare repository in a temp folder with branches main and feature, tag v1 and PR/MR refs. */
async function withRepo(body: (f: Fixture) => Promise<void>): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "devaipod-clone-" });
  try {
    const bare = join(tmp, "origin.git");
    const work = join(tmp, "work");
    await mustRun("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
    await mustRun("git", ["init", "--quiet", "--initial-branch=main", work]);
    await mustRun("git", ["-C", work, "remote", "add", "origin", bare]);
    const main = await commit(work, "README", "main\n");
    await mustRun("git", ["-C", work, "checkout", "--quiet", "-b", "feature"]);
    const feature = await commit(work, "feature.txt", "feature\n");
    await mustRun("git", ["-C", work, "checkout", "--quiet", "--detach", "main"]);
    const tagged = await commit(work, "tagged.txt", "tagged\n");
    await mustRun("git", ["-C", work, "tag", "v1"]);
    await mustRun("git", ["-C", work, "checkout", "--quiet", "--detach", "main"]);
    const pr = await commit(work, "pr.txt", "pull request\n");
    await mustRun("git", ["-C", work, "checkout", "--quiet", "--detach", "main"]);
    const mr = await commit(work, "mr.txt", "merge request\n");
    await mustRun("git", [
      "-C",
      work,
      "push",
      "--quiet",
      "origin",
      "main:refs/heads/main",
      "feature:refs/heads/feature",
      "refs/tags/v1:refs/tags/v1",
      `${pr}:refs/pull/7/head`,
      `${mr}:refs/merge-requests/3/head`,
    ]);
    await body({ tmp, url: `file://${bare}`, sha: { main, feature, tagged, pr, mr } });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const git = async (dir: string, ...args: string[]) =>
  (await mustRun("git", ["-C", dir, ...args])).trim();

Deno.test("clone: a git URL is cloned at its default branch", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    const dir = join(tmp, "c");
    assertEquals(await cloneGit(url, dir), { commit: sha.main, branch: "main" });
    assertEquals(await Deno.readTextFile(join(dir, "README")), "main\n");
    assertEquals(await git(dir, "remote", "get-url", "origin"), url);
  });
});

Deno.test("clone: --ref BRANCH checks out a local branch tracking origin's", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    const dir = join(tmp, "c");
    assertEquals(await cloneGit(url, dir, { ref: "feature" }), {
      commit: sha.feature,
      branch: "feature",
    });
    assertEquals(
      await git(dir, "rev-parse", "--abbrev-ref", "feature@{upstream}"),
      "origin/feature",
    );
    assertEquals(await Deno.readTextFile(join(dir, "feature.txt")), "feature\n");
    assertEquals(await git(dir, "status", "--porcelain"), "");
  });
});

Deno.test("clone: --ref naming the default branch keeps it checked out", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    const dir = join(tmp, "c");
    assertEquals(await cloneGit(url, dir, { ref: "main" }), { commit: sha.main, branch: "main" });
    assertEquals(await Deno.readTextFile(join(dir, "README")), "main\n");
  });
});

Deno.test("clone: --ref TAG and --ref COMMIT check out a detached HEAD", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    assertEquals(await cloneGit(url, join(tmp, "tag"), { ref: "v1" }), { commit: sha.tagged });
    assertEquals(await Deno.readTextFile(join(tmp, "tag", "tagged.txt")), "tagged\n");
    assertEquals(await cloneGit(url, join(tmp, "sha"), { ref: sha.feature }), {
      commit: sha.feature,
    });
    assertEquals(await cloneGit(url, join(tmp, "short"), { ref: sha.feature.slice(0, 10) }), {
      commit: sha.feature,
    });
  });
});

Deno.test("clone: --ref naming a ref outside branches and tags is fetched by name", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    assertEquals(await cloneGit(url, join(tmp, "c"), { ref: "refs/pull/7/head" }), {
      commit: sha.pr,
    });
  });
});

Deno.test("clone: an unknown --ref is not found (exit 6) naming ref and URL; a malformed one is a usage error", async () => {
  await withRepo(async ({ tmp, url }) => {
    const err = await assertRejects(
      () => cloneGit(url, join(tmp, "c"), { ref: "nope" }),
      NotFoundError,
    );
    assertEquals(err.message, `--ref nope: not found in ${url}`);
    assertEquals(err.exitCode, 6);
    for (const ref of ["-b", "a:b", ""]) {
      await assertRejects(() => cloneGit(url, join(tmp, `bad${ref}`), { ref }), UsageError);
    }
  });
});

Deno.test("clone: a failed clone is a FailedError with the URL and git's last words", async () => {
  await withRepo(async ({ tmp }) => {
    const url = `file://${tmp}/missing.git`;
    const err = await assertRejects(() => cloneGit(url, join(tmp, "c")), FailedError);
    assertMatch(
      err.message,
      new RegExp(`^cannot clone ${url} \\(git exit 128\\):\\n  .*missing\\.git`),
    );
    await assertRejects(() => Deno.stat(join(tmp, "c")), Deno.errors.NotFound);
  });
});

Deno.test("clone: git never prompts for credentials", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="x"' } }),
  );
  const tmp = await Deno.makeTempDir({ prefix: "devaipod-clone-" });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/o/r.git`;
    const err = await assertRejects(() => cloneGit(url, join(tmp, "c")), FailedError);
    assertMatch(err.message, /terminal prompts disabled/);
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

function pull(url: string, fields: Partial<PullRequest>): PullRequest {
  return {
    number: 7,
    title: "t",
    baseRef: "main",
    headSha: "",
    headRef: "refs/pull/7/head",
    repoUrl: url,
    state: "open",
    webUrl: "https://example.com/o/r/pull/7",
    ...fields,
  };
}

Deno.test("clone: a pull request is checked out at its head commit on branch pr-N", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    const dir = join(tmp, "c");
    const got = await clonePullRequest(pull(url, { headSha: sha.pr }), dir);
    assertEquals(got, { commit: sha.pr, branch: "pr-7" });
    assertEquals(await Deno.readTextFile(join(dir, "pr.txt")), "pull request\n");
    assertEquals(await git(dir, "status", "--porcelain"), "");
    assertEquals(await git(dir, "rev-parse", "origin/main"), sha.main);
  });
});

Deno.test("clone: a GitLab merge request is fetched from refs/merge-requests/N/head", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    const mr = pull(url, { number: 3, headRef: "refs/merge-requests/3/head", headSha: sha.mr });
    assertEquals(await clonePullRequest(mr, join(tmp, "c")), { commit: sha.mr, branch: "pr-3" });
  });
});

Deno.test("clone: the reported head commit wins when fetched, else the fetched head", async () => {
  await withRepo(async ({ tmp, url, sha }) => {
    // The API reported an older commit that the clone has: that one is checked out.
    const older = await clonePullRequest(pull(url, { headSha: sha.main }), join(tmp, "a"));
    assertEquals(older, { commit: sha.main, branch: "pr-7" });
    // The API's commit is gone (force-pushed since): the fetched head is used.
    const gone = await clonePullRequest(pull(url, { headSha: "1".repeat(40) }), join(tmp, "b"));
    assertEquals(gone, { commit: sha.pr, branch: "pr-7" });
  });
});

Deno.test("clone: a pull request whose head ref is missing is a FailedError", async () => {
  await withRepo(async ({ tmp, url }) => {
    const pr = pull(url, { number: 99, headRef: "refs/pull/99/head" });
    const err = await assertRejects(() => clonePullRequest(pr, join(tmp, "c")), FailedError);
    assertMatch(err.message, new RegExp(`^cannot fetch refs/pull/99/head from ${url}`));
    const odd = pull(url, { headRef: "--upload-pack=touch /tmp/x" });
    await assertRejects(() => clonePullRequest(odd, join(tmp, "d")), /unexpected head ref/);
  });
});
