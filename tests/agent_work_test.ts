/**
 * Bringing the agent's work home, against real podman and real git: `diff`, `fetch` and
 * `status` read an agent clone booby-trapped with every hook, config command, driver and link
 * of `tests/support/booby_trap.ts`, and none of them acts, in the workspace, in the agent or on
 * the host; the fetched ref is the agent's commit and the human's tree, HEAD and index are as
 * they were. Then the errors: a stopped workspace, one made before the agent had its own clone,
 * a project without git, a workspace image without git.
 */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { DETECTOR_SCRIPT, PLANT_TRAPS_SCRIPT } from "./support/booby_trap.ts";
import { cleanupByLabel, TEST_LABEL, testRunId } from "./support/cleanup.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { BASE_IMAGE, DEV_IMAGE } from "./support/test_images.ts";
import { name, project, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();

const exec = (ws: string, role: string, script: string, ...args: string[]) =>
  runDevaipod(["exec", ws, "-c", role, "--", "sh", "-c", script, "sh", ...args]);

/** Runs a script and returns its stdout lines, failing the test on a non-zero exit. */
async function lines(ws: string, role: string, script: string, ...args: string[]) {
  const r = await exec(ws, role, script, ...args);
  assertEquals(r.code, 0, `${role}: ${script}: ${r.stderr}`);
  return r.stdout.trim().split("\n");
}

/** What the agent does before it plants the traps: two commits, then uncommitted work. */
const AGENT_WORK = `set -eu
git config user.email agent@example.com; git config user.name agent
printf 'agent line\\n' >> README.md
printf 'plain\\n' > replaced-by-link.txt; printf 'plain\\n' > replaced-by-fifo.txt; printf 'k\\n' > kept.txt
git add -A; git commit -qm 'agent: first'
git init -q sub; (cd sub && printf 's\\n' > s.txt && git add -A && git -c user.email=a@x -c user.name=a commit -qm sub)
printf '[submodule "sub"]\\n\\tpath = sub\\n\\turl = ext::sh -c true\\n\\tignore = none\\n' > .gitmodules
git add .gitmodules sub 2>/dev/null; git commit -qm 'agent: second'
printf 'changed\\n' >> README.md; rm kept.txt; printf 'untracked\\n' > untracked.txt
git init -q nested; (cd nested && printf 'n\\n' > n.txt && git add -A && git -c user.email=a@x -c user.name=a commit -qm n)
git rev-parse HEAD`;

/** The human's repository as it stands: HEAD, status, index, refs. */
const HUMAN_STATE =
  "git rev-parse HEAD; git status --porcelain --ignored | sort | tr '\\n' ' '; echo .; " +
  "sha256sum .git/index | cut -c1-64; test -e .git/FETCH_HEAD && echo FETCH_HEAD || echo no FETCH_HEAD";
const HUMAN_REFS = "git for-each-ref --format='%(refname) %(objectname)'";

podmanTest(
  "agent work: diff, fetch and status read a booby-trapped agent clone; no trap fires anywhere; the fetched ref is the agent's commit and nothing else of the human's changes",
  async () => {
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    const ws = name();
    const trap = `/tmp/devaipod-trap-${ws}`;
    const markers = `${trap}/markers`;
    const detectors = `${trap}/detectors`;
    try {
      const up = await runDevaipod(["up", dir, "--name", ws]);
      assertEquals(up.code, 0, up.stderr);
      const [base] = await lines(ws, "workspace", "git rev-parse HEAD");

      // The agent works, then traps its clone (its own git must not trip them first).
      const tip = (await lines(ws, "agent", AGENT_WORK)).at(-1);
      assert(tip && tip !== base);
      await lines(ws, "agent", PLANT_TRAPS_SCRIPT, ".", markers, detectors);
      // Read detectors where the reader runs; the FIFOs in the agent's tree get theirs in the agent.
      await lines(ws, "workspace", DETECTOR_SCRIPT, detectors, markers);
      await lines(ws, "agent", DETECTOR_SCRIPT, detectors, markers, ".");
      const humanBefore = await lines(ws, "workspace", HUMAN_STATE);
      const refsBefore = await lines(ws, "workspace", HUMAN_REFS);

      const diff = await runDevaipod(["diff", ws, "--json"]);
      assertEquals(diff.code, 0, diff.stderr);
      const d = JSON.parse(diff.stdout);
      assertEquals([d.branch, d.base, d.commit, d.ahead], [`devaipod/${ws}`, base, tip, 2]);
      assertEquals(d.commits.map((c: { subject: string }) => c.subject), [
        "agent: second",
        "agent: first",
      ]);
      const files = (c: { files: { status: string; path: string }[] }) =>
        c.files.map((f) => `${f.status} ${f.path}`);
      assertEquals(files(d.committed), [
        "A .gitmodules",
        "M README.md",
        "A kept.txt",
        "A replaced-by-fifo.txt",
        "A replaced-by-link.txt",
      ]);
      assertEquals(files(d.uncommitted), [
        "A .gitattributes",
        "M README.md",
        "D kept.txt",
        "D replaced-by-fifo.txt",
        "T replaced-by-link.txt",
        "A untracked-link",
        "A untracked.txt",
      ]);
      assertEquals(d.special, ["replaced-by-fifo.txt"]);
      assertMatch(d.uncommitted.patch, new RegExp(`^\\+${detectors}/worktree-replaced$`, "m"));

      // The human form: patches on stdout, headings on stderr.
      const human = await runDevaipod(["diff", ws]);
      assertEquals(human.code, 0, human.stderr);
      assertMatch(human.stdout, /^\+agent line$/m);
      assertMatch(human.stdout, /^\+changed$/m);
      assertMatch(human.stderr, /# committed on devaipod\/\S+ since [0-9a-f]{12}: 2 commits/);
      const stat = await runDevaipod(["diff", ws, "--stat"]);
      assertMatch(stat.stdout, /README\.md +\| 1 \+/);

      const status = await runDevaipod(["status", ws, "--json"]);
      assertEquals(status.code, 0, status.stderr);
      const work = JSON.parse(status.stdout).agent.work;
      assertEquals(
        [work.clone, work.branch, work.commit, work.ahead, work.uncommitted, work.checkedOut],
        ["ok", `devaipod/${ws}`, tip, 2, true, `devaipod/${ws}`],
      );
      const statusText = await runDevaipod(["status", ws]);
      assertMatch(
        statusText.stdout,
        /work +devaipod\/\S+: 2 commits ahead of its base, uncommitted/,
      );

      const fetch = await runDevaipod(["fetch", ws, "--json"]);
      assertEquals(fetch.code, 0, fetch.stderr);
      const f = JSON.parse(fetch.stdout);
      assertEquals([f.ref, f.commit, f.previous, f.ahead], [
        `refs/remotes/agent/devaipod/${ws}`,
        tip,
        null,
        2,
      ]);
      assertEquals(
        await lines(ws, "workspace", `git rev-parse refs/remotes/agent/devaipod/${ws}`),
        [tip],
      );
      const again = await runDevaipod(["fetch", ws]);
      assertEquals(again.code, 0, again.stderr);
      assertMatch(again.stdout, /already up to date/);
      assertMatch(again.stderr, new RegExp(`git merge agent/devaipod/${ws}`));

      // The human's repository: one new ref, nothing else.
      assertEquals(await lines(ws, "workspace", HUMAN_STATE), humanBefore);
      assertEquals(humanBefore.at(-1), "no FETCH_HEAD");
      assertEquals(
        (await lines(ws, "workspace", HUMAN_REFS)).sort(),
        [...refsBefore, `refs/remotes/agent/devaipod/${ws} ${tip}`].sort(),
      );

      // No marker anywhere: the workspace, the agent, the host. No temporary folder left.
      const none = "ls -A $1 2>/dev/null | tr '\\n' ' '; echo .";
      assertEquals(await lines(ws, "workspace", none, markers), ["."]);
      assertEquals(await lines(ws, "agent", none, markers), ["."]);
      assertEquals(await Deno.stat(markers).catch(() => null), null);
      assertEquals(
        await lines(ws, "workspace", "ls -d /tmp/devaipod-agent-read-* 2>/dev/null | wc -l"),
        ["0"],
      );

      // The traps are live: reading the agent's FIFO trips its detector (in the agent), and
      // naive git on the agent's tree reads through its ref link and runs its fsmonitor. (Each
      // detector answers one read.)
      await exec(
        ws,
        "workspace",
        "cd /devaipod/agent && timeout 5 cat replaced-by-fifo.txt >/dev/null 2>&1; " +
          "timeout 10 git status >/dev/null 2>&1",
      );
      await new Promise((r) => setTimeout(r, 500));
      const fired = (await lines(ws, "workspace", none, markers))[0] ?? "";
      assertMatch(fired, /\bfsmonitor\b/);
      assertMatch(fired, /\bread-ref\b/);
      assertMatch((await lines(ws, "agent", none, markers))[0] ?? "", /\bread-tree-fifo\b/);

      // A stopped workspace: the reader needs its container.
      assertEquals((await runDevaipod(["stop", ws])).code, 0);
      const stopped = await runDevaipod(["diff", ws]);
      assertEquals(stopped.code, 9, stopped.stderr);
      assertMatch(stopped.stderr, /is not running: diff reads the agent's clone/);
      assertMatch(stopped.stderr, new RegExp(`hint: \`devaipod start ${ws}\``));
      const stoppedStatus = await runDevaipod(["status", ws, "--json"]);
      assertEquals(JSON.parse(stoppedStatus.stdout).agent.work.clone, "stopped");
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** A workspace as devaipod finds it (a labelled pod and a running workspace container). */
async function fakeWorkspace(
  run: string,
  ws: string,
  image: string,
  agentTree?: "plain",
): Promise<void> {
  const labels = { [TEST_LABEL]: run, "io.devaipod.workspace": ws };
  const pod = `devaipod-${ws}`;
  await podman.run(p.podCreate({ name: pod, labels: { ...labels, "io.devaipod.role": "pod" } }));
  const volume = `${pod}-agent-work`;
  if (agentTree) {
    await podman.run(
      p.volumeCreate(volume, { labels: { ...labels, "io.devaipod.role": "agent-work" } }),
    );
  }
  await podman.run(p.containerRun({
    name: `${pod}-workspace`,
    image,
    pod,
    labels: { ...labels, "io.devaipod.role": "workspace" },
    mounts: agentTree
      ? [
        { type: "volume", source: volume, target: "/seed" },
        { type: "volume", source: volume, target: "/devaipod/agent", readonly: true },
      ]
      : [],
    entrypoint: ["/bin/sh", "-c", "sleep 600"],
  }));
  if (agentTree) {
    await podman.run(p.containerExec({
      container: `${pod}-workspace`,
      command: ["sh", "-c", "echo files > /seed/notes.txt"],
    }));
  }
}

podmanTest(
  "agent work: diff and fetch say what is missing: the agent's own clone (rebuild), git in the project, git in the workspace image",
  async () => {
    const run = testRunId();
    const old = `gs-old-${run}`;
    const plain = `gs-plain-${run}`;
    const bare = `gs-nogit-${run}`;
    try {
      await fakeWorkspace(run, old, DEV_IMAGE);
      await fakeWorkspace(run, plain, DEV_IMAGE, "plain");
      await fakeWorkspace(run, bare, BASE_IMAGE, "plain");
      for (const command of ["diff", "fetch"]) {
        const r = await runDevaipod([command, old]);
        assertEquals(r.code, 9, r.stderr);
        assertMatch(r.stderr, /has no clone of the agent's own/);
        assertMatch(r.stderr, new RegExp(`hint: \`devaipod rebuild ${old}\``));
        const p2 = await runDevaipod([command, plain]);
        assertEquals(p2.code, 9, p2.stderr);
        assertMatch(
          p2.stderr,
          new RegExp(`project of workspace '${plain}' is not a git repository`),
        );
        const b = await runDevaipod([command, bare]);
        assertEquals(b.code, 10, b.stderr);
        assertMatch(b.stderr, /has no git: .* runs git there/);
      }
      const status = await runDevaipod(["status", old, "--json"]);
      assertEquals(status.code, 0, status.stderr);
      assertEquals(JSON.parse(status.stdout).agent.work.clone, "old-layout");
      const plainStatus = await runDevaipod(["status", plain, "--json"]);
      assertEquals(JSON.parse(plainStatus.stdout).agent.work.clone, "not-git");
    } finally {
      await cleanupByLabel(podman, run);
    }
  },
);
