/**
 * `up` from a git URL, a bare repository's path and pull request URLs, with real git and podman.
 * The forge API is a local HTTP server answering with recorded GitHub and GitLab responses, and
 * it also serves the repository over git's "dumb" HTTP protocol, so nothing leaves the machine.
 */
import { join } from "node:path";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { forgeServer } from "./support/pr_forge.ts";
import { labelled, name, NOTHING, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();
const FIXTURES = new URL("./fixtures/forge/", import.meta.url);

async function git(...args: string[]): Promise<string> {
  const r = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assertEquals(r.code, 0, `git ${args.join(" ")}: ${err}`);
  return new TextDecoder().decode(r.stdout).trim();
}

/**
 * A bare repository: `main` (README), `feature` (+feature.txt), and a pull request head
 * (+pr.txt) under refs/pull/1/head and refs/merge-requests/3/head.
 */
async function bareRepo(): Promise<{ bare: string; pr: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-sources-" });
  const tree = join(dir, "tree");
  await Deno.mkdir(join(tree, ".devcontainer"), { recursive: true });
  await Deno.writeTextFile(
    join(tree, ".devcontainer", "devcontainer.json"),
    JSON.stringify({ image: DEV_IMAGE, remoteUser: "dev" }),
  );
  await Deno.writeTextFile(join(tree, "README.md"), "main\n");
  await git("-C", tree, "init", "-q", "-b", "main");
  await git("-C", tree, "add", "-A");
  await git("-C", tree, "commit", "-q", "-m", "main");
  await git("-C", tree, "checkout", "-q", "-b", "feature");
  await Deno.writeTextFile(join(tree, "feature.txt"), "feature\n");
  await git("-C", tree, "add", "-A");
  await git("-C", tree, "commit", "-q", "-m", "feature");
  await git("-C", tree, "checkout", "-q", "-b", "contrib", "main");
  await Deno.writeTextFile(join(tree, "pr.txt"), "from the pull request\n");
  await git("-C", tree, "add", "-A");
  await git("-C", tree, "commit", "-q", "-m", "pr");
  const pr = await git("-C", tree, "rev-parse", "HEAD");
  await git("-C", tree, "checkout", "-q", "main");
  const bare = join(dir, "r.git");
  await git("clone", "-q", "--bare", tree, bare);
  await git("-C", bare, "branch", "-D", "contrib");
  await git("-C", bare, "update-ref", "refs/pull/1/head", pr);
  await git("-C", bare, "update-ref", "refs/merge-requests/3/head", pr);
  await git("-C", bare, "update-server-info");
  return { bare, pr, dir };
}

const inspectPod = async (ws: string) =>
  (await podman.run(p.podInspect(`devaipod-${ws}`)))[0]?.Labels ?? {};

const inWorkspace = (ws: string, script: string) =>
  runDevaipod(["exec", ws, "--", "sh", "-c", script]);

podmanTest(
  "sources: up clones a file:// URL at the default branch or --ref, and a bare repo by path",
  async () => {
    const { bare } = await bareRepo();
    const [a, b, c] = [name(), name(), name()];
    try {
      const byUrl = await runDevaipod(
        ["up", `file://${bare}`, "--name", a, "--network-isolation", "off"],
      );
      assertEquals(byUrl.code, 0, byUrl.stderr);
      assert(byUrl.stderr.includes(`clone file://${bare}`), byUrl.stderr);
      const files = await inWorkspace(
        a,
        "ls; git branch --show-current; git remote get-url origin",
      );
      assertEquals(files.stdout.trim().split("\n"), ["README.md", "main", `file://${bare}`]);
      const labels = await inspectPod(a);
      assertEquals(labels["io.devaipod.source"], `file://${bare}`);
      assertEquals(labels["io.devaipod.commit"], await git("-C", bare, "rev-parse", "main"));

      const byRef = await runDevaipod(
        ["up", `file://${bare}`, "--ref", "feature", "--name", b, "--network-isolation", "off"],
      );
      assertEquals(byRef.code, 0, byRef.stderr);
      const feature = await inWorkspace(b, "cat feature.txt; git branch --show-current");
      assertEquals(feature.stdout.trim().split("\n"), ["feature", "feature"]);
      assertEquals((await inspectPod(b))["io.devaipod.source-ref"], "feature");

      const byPath = await runDevaipod(["up", bare, "--name", c, "--network-isolation", "off"]);
      assertEquals(byPath.code, 0, byPath.stderr);
      assertEquals((await inWorkspace(c, "cat README.md")).stdout, "main\n");

      // rebuild keeps the source and its labels (it re-reads the clone's devcontainer.json), and
      // the work done in the workspace.
      assertEquals((await inWorkspace(b, "echo work > work.txt")).code, 0);
      const rebuilt = await runDevaipod(["rebuild", b]);
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertEquals((await inspectPod(b))["io.devaipod.source-ref"], "feature");
      assertEquals(
        (await inWorkspace(b, "cat feature.txt work.txt")).stdout,
        "feature\nwork\n",
      );
    } finally {
      await Promise.all([purge(a), purge(b), purge(c)]);
    }
  },
);

podmanTest(
  "sources: a bad --ref or an unreachable URL stops up before it creates anything",
  async () => {
    const { bare } = await bareRepo();
    const ws = name();
    try {
      const badRef = await runDevaipod(["up", `file://${bare}`, "--ref", "nope", "--name", ws]);
      assertEquals(badRef.code, 6, badRef.stderr);
      assert(badRef.stderr.includes("--ref nope: not found"), badRef.stderr);
      const missing = await runDevaipod(["up", `file://${bare}-missing`, "--name", ws]);
      assertEquals(missing.code, 1, missing.stderr);
      assertEquals(await labelled(ws), NOTHING);
      const refOnPath = await runDevaipod(["up", ".", "--ref", "main", "--name", ws]);
      assertEquals(refOnPath.code, 2, refOnPath.stderr);
    } finally {
      await purge(ws);
    }
  },
);

podmanTest(
  "sources: a GitHub pull request URL checks out its head; a hostile title is stored verbatim and runs nothing",
  async () => {
    const { bare, pr, dir } = await bareRepo();
    const marker = join(dir, "pwned");
    const title =
      `fix: $(touch ${marker}1) \`touch ${marker}2\` "q" 'single'\nsecond line; touch ${marker}3 #`;
    let host = "";
    const fixture = JSON.parse(await Deno.readTextFile(new URL("github_pull.json", FIXTURES)));
    const f = forgeServer(bare, {
      path: "/api/v3/repos/octo-org/hello-world/pulls/1",
      body: () =>
        JSON.stringify({
          ...fixture,
          title,
          head: { ...fixture.head, sha: pr },
          base: {
            ...fixture.base,
            ref: "main",
            repo: { ...fixture.base.repo, clone_url: `http://${host}/octo-org/hello-world.git` },
          },
        }),
    });
    host = f.host;
    const config = join(dir, "devaipod.toml");
    await Deno.writeTextFile(config, `[forges]\n"${host}" = "github"\n`);
    const ws = name();
    try {
      const url = `http://${host}/octo-org/hello-world/pull/1`;
      const up = await runDevaipod(
        ["--config", config, "up", url, "--name", ws, "--network-isolation", "off"],
        { env: { GITHUB_TOKEN: "ghp_test_token" } },
      );
      assertEquals(up.code, 0, up.stderr);
      assertEquals(f.seen.find((s) => s.path.startsWith("/api/"))?.auth, "Bearer ghp_test_token");
      const labels = await inspectPod(ws);
      assertEquals(labels["io.devaipod.pr-title"], title);
      assertEquals(labels["io.devaipod.pr-base"], "main");
      assertEquals(labels["io.devaipod.forge"], "github");
      assertEquals(labels["io.devaipod.commit"], pr);
      assertEquals(labels["io.devaipod.source"], url);
      const head = await inWorkspace(ws, "cat pr.txt; git rev-parse HEAD; ls /tmp");
      assertEquals(head.stdout.split("\n").slice(0, 2), ["from the pull request", pr]);
      for (const n of [1, 2, 3]) {
        assertEquals(await Deno.stat(`${marker}${n}`).then(() => true, () => false), false);
      }
      const status = await runDevaipod(["status", ws, "--json"]);
      assertEquals(JSON.parse(status.stdout).source?.pr?.title, title);
      // On a terminal the title's newline is shown escaped, on the title's own line.
      const text = await runDevaipod(["status", ws]);
      assert(
        text.stdout.includes(`'single'\\nsecond line; touch ${marker}3 # (into main)`),
        text.stdout,
      );
    } finally {
      await purge(ws);
      await f.server.shutdown();
    }
  },
);

podmanTest(
  "sources: a GitLab merge request URL in nested groups checks out its head with GITLAB_TOKEN",
  async () => {
    const { bare, pr, dir } = await bareRepo();
    const fixture = JSON.parse(
      await Deno.readTextFile(new URL("gitlab_merge_request.json", FIXTURES)),
    );
    const f = forgeServer(bare, {
      path: "/api/v4/projects/group%2Fsub%2Fproj/merge_requests/3",
      body: () => JSON.stringify({ ...fixture, sha: pr }),
    });
    const config = join(dir, "devaipod.toml");
    await Deno.writeTextFile(config, `[forges]\n"${f.host}" = "gitlab"\n`);
    const ws = name();
    try {
      const url = `http://${f.host}/group/sub/proj/-/merge_requests/3`;
      const up = await runDevaipod(
        ["--config", config, "up", url, "--name", ws, "--network-isolation", "off"],
        { env: { GITLAB_TOKEN: "glpat-test" } },
      );
      assertEquals(up.code, 0, up.stderr);
      assertEquals(f.seen.find((s) => s.path.startsWith("/api/"))?.token, "glpat-test");
      const labels = await inspectPod(ws);
      assertEquals(labels["io.devaipod.pr-title"], fixture.title);
      assertEquals([labels["io.devaipod.forge"], labels["io.devaipod.commit"]], ["gitlab", pr]);
      assertEquals((await inWorkspace(ws, "cat pr.txt")).stdout, "from the pull request\n");
    } finally {
      await purge(ws);
      await f.server.shutdown();
    }
  },
);

podmanTest(
  "sources: an undeclared forge host and a config that reaches into the host are refused",
  async () => {
    const { dir } = await bareRepo();
    const ws = name();
    try {
      const unknown = await runDevaipod([
        "up",
        "https://git.example.invalid/o/r/pull/1",
        "--name",
        ws,
      ]);
      assertEquals(unknown.code, 2, unknown.stderr);
      assert(unknown.stderr.includes("git.example.invalid"), unknown.stderr);
      assert(unknown.stderr.includes("[forges]"), unknown.stderr);

      // A repository whose devcontainer.json bind-mounts a host path and runs initializeCommand.
      const tree = join(dir, "risky");
      await Deno.mkdir(tree);
      await Deno.writeTextFile(
        join(tree, ".devcontainer.json"),
        JSON.stringify({
          image: DEV_IMAGE,
          initializeCommand: `touch ${dir}/initialize-ran`,
          mounts: [`type=bind,source=${dir},target=/host`],
        }),
      );
      await git("-C", tree, "init", "-q", "-b", "main");
      await git("-C", tree, "add", "-A");
      await git("-C", tree, "commit", "-q", "-m", "risky");
      const refused = await runDevaipod(["up", `file://${tree}`, "--name", ws]);
      assertEquals(refused.code, 3, refused.stderr);
      assert(refused.stderr.includes("initializeCommand (runs on your host)"), refused.stderr);
      assert(refused.stderr.includes("a bind mount of a host path"), refused.stderr);
      assert(refused.stderr.includes("--trust-source"), refused.stderr);
      assertEquals(await Deno.stat(`${dir}/initialize-ran`).then(() => true, () => false), false);
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
    }
  },
);
