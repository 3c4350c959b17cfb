/**
 * The agent's own clone against real podman and real git: the agent works in its own volume on
 * `devaipod/<workspace>`, the human's tree is out of its reach, its work shows read-only in the
 * workspace, a hook it plants never runs as the human, and a workspace made before all this
 * (the agent sharing the human's volume) is moved over by `rebuild`. `verify`'s hook and write
 * probes are shown to catch the shared layout before they are shown to hold.
 */
import { join } from "node:path";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();

const exec = (ws: string, role: string, script: string) =>
  runDevaipod(["exec", ws, "-c", role, "--", "sh", "-c", script]);

/** Runs a script and returns its stdout lines, failing the test on a non-zero exit. */
async function lines(ws: string, role: string, script: string): Promise<string[]> {
  const r = await exec(ws, role, script);
  assertEquals(r.code, 0, `${role}: ${script}: ${r.stderr}`);
  return r.stdout.trim().split("\n");
}

async function hostGit(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

const volumeLabels = async (volume: string) =>
  (await podman.run(p.volumeInspect(volume)))[0]?.Labels ?? {};

const containerId = async (container: string) =>
  (await podman.run(p.containerInspect(container)))[0]?.Id;

/** The verify probes by id (verify exits 1 when any fails). */
async function verifyProbes(ws: string): Promise<{ code: number; probes: Map<string, string> }> {
  const r = await runDevaipod(["verify", ws, "--json"]);
  const out = JSON.parse(r.stdout) as { probes: { id: string; ok: boolean; detail: string }[] };
  return {
    code: r.code,
    probes: new Map(out.probes.map((x) => [x.id, `${x.ok ? "ok" : "FAIL"}: ${x.detail}`])),
  };
}

podmanTest(
  "agent clone: the agent works in its own clone on devaipod/<ws>; the human's tree is out of its reach; its commits show read-only in the workspace; its hooks never run there; stop/start, rebuild and delete keep both",
  async () => {
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    await hostGit(dir, "remote", "add", "origin", "https://user:hunter2@forge.example/o/r.git");
    const head = await hostGit(dir, "rev-parse", "HEAD");
    const ws = name();
    const target = `/workspaces/${dir.split("/").at(-1)}`;
    try {
      const up = await runDevaipod(["up", dir, "--name", ws]);
      assertEquals(up.code, 0, up.stderr);
      assertMatch(up.stderr, new RegExp(`the agent's clone: branch devaipod/${ws}`));

      // The agent's clone: a full git clone at the human's HEAD, on its own branch, no credentials.
      assertEquals(
        await lines(
          ws,
          "agent",
          "pwd; git rev-parse HEAD; git branch --show-current; git remote get-url origin; " +
            "git status --porcelain | wc -l; test -e .git/objects/info/alternates && echo alternates || echo own objects; ls",
        ),
        [
          target,
          head,
          `devaipod/${ws}`,
          "https://forge.example/o/r.git",
          "0",
          "own objects",
          "README.md",
        ],
      );
      assertEquals(
        (await volumeLabels(`devaipod-${ws}-agent-work`))["io.devaipod.agent-base"],
        head,
      );
      // The human's tree: its own branch; the agent's read-only under /devaipod/agent.
      assertEquals(await lines(ws, "workspace", "git branch --show-current; pwd"), [
        "master",
        target,
      ]);

      // The agent cannot see or write the human's tree: not among its mounts, its writes stay home.
      await lines(ws, "workspace", "echo human-only > human.txt");
      assertEquals(
        await lines(
          ws,
          "agent",
          `grep -cF "/devaipod-${ws}-work/_data " /proc/self/mountinfo; test -e human.txt && echo seen || echo unseen; echo from-agent > agent-wrote.txt`,
        ),
        ["0", "unseen"],
      );
      assertEquals(
        await lines(ws, "workspace", "test -e agent-wrote.txt && echo seen || echo unseen"),
        [
          "unseen",
        ],
      );

      // A file the agent commits shows under /devaipod/agent, which the workspace cannot write
      // (not even as root).
      const [agentCommit] = await lines(
        ws,
        "agent",
        "git add agent-wrote.txt && git -c user.email=a@example.com -c user.name=agent commit -qm agent && git rev-parse HEAD",
      );
      assert(agentCommit && agentCommit !== head);
      assertEquals(
        await lines(
          ws,
          "workspace",
          `cat /devaipod/agent/agent-wrote.txt; cat /devaipod/agent/.git/refs/heads/devaipod/${ws}; ` +
            "touch /devaipod/agent/x 2>/dev/null && echo wrote || echo refused; test -e agent-wrote.txt && echo seen || echo unseen",
        ),
        ["from-agent", agentCommit, "refused", "unseen"],
      );
      const asRoot = await podman.run(p.containerExec({
        container: `devaipod-${ws}-workspace`,
        user: "0",
        command: ["touch", "/devaipod/agent/.git/hooks/x"],
      }));
      assert(asRoot.code !== 0, "root in the workspace cannot write the agent's tree either");
      assertMatch(asRoot.stderr, /Read-only file system/);

      // verify's tree probes hold.
      const verified = await verifyProbes(ws);
      assertMatch(verified.probes.get("hook") ?? "", /^ok: \d+ planted/);
      assertMatch(verified.probes.get("write") ?? "", /^ok: /);

      // A hook and an fsmonitor the agent plants run in its own clone, never in the human's.
      const plant =
        "printf '#!/bin/sh\\necho \"$0 $(id -u)\" >> /tmp/agent-hook-ran\\n' > .git/hooks/post-checkout && " +
        "cp .git/hooks/post-checkout .git/fsmonitor && chmod +x .git/hooks/post-checkout .git/fsmonitor && " +
        `git config core.fsmonitor ${target}/.git/fsmonitor`;
      await lines(ws, "agent", plant);
      await lines(
        ws,
        "workspace",
        "git status >/dev/null; git checkout -q -b human-x; git checkout -q -",
      );
      assertEquals(
        await lines(ws, "workspace", "cat /tmp/agent-hook-ran 2>/dev/null || echo none"),
        [
          "none",
        ],
      );
      // The traps are real: the agent's own git runs them.
      await lines(
        ws,
        "agent",
        "git status >/dev/null; git checkout -q -b agent-x; git checkout -q -",
      );
      const ran = await lines(ws, "agent", "sort -u /tmp/agent-hook-ran");
      assert(
        ran.some((l) => l.includes("post-checkout")) && ran.some((l) => l.includes("fsmonitor")),
      );

      // stop/start keep both trees.
      assertEquals((await runDevaipod(["stop", ws])).code, 0);
      const start = await runDevaipod(["start", ws]);
      assertEquals(start.code, 0, start.stderr);
      assertEquals(await lines(ws, "workspace", "cat human.txt"), ["human-only"]);
      assertEquals(await lines(ws, "agent", "git rev-parse HEAD; cat agent-wrote.txt"), [
        agentCommit,
        "from-agent",
      ]);

      // rebuild keeps both volumes, the base label and both trees; no migration.
      const agentBefore = await containerId(`devaipod-${ws}-agent`);
      const rebuilt = await runDevaipod(["rebuild", ws]);
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertEquals(/predates/.test(rebuilt.stderr), false, rebuilt.stderr);
      assert(agentBefore !== await containerId(`devaipod-${ws}-agent`), "a new agent container");
      assertEquals((await labelled(ws)).volumes, 3);
      assertEquals(
        (await volumeLabels(`devaipod-${ws}-agent-work`))["io.devaipod.agent-base"],
        head,
      );
      assertEquals(await lines(ws, "workspace", "cat human.txt; git rev-parse HEAD"), [
        "human-only",
        head,
      ]);
      assertEquals(await lines(ws, "agent", "git rev-parse HEAD; git branch --show-current"), [
        agentCommit,
        `devaipod/${ws}`,
      ]);

      // delete keeps the three volumes; delete --volumes removes them all.
      assertEquals((await runDevaipod(["delete", "-f", ws])).code, 0);
      assertEquals(await labelled(ws), { ...NOTHING, volumes: 3 });
      assertEquals((await runDevaipod(["delete", "-f", "--volumes", ws])).code, 0);
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/**
 * Turns a workspace into one made before the agent had its own clone: no agent-work volume, and
 * an agent container that mounts the human's work volume read-write at the workspace path.
 */
async function oldLayout(ws: string, target: string): Promise<void> {
  const pod = `devaipod-${ws}`;
  await podman.run(
    p.containerRm([`${pod}-workspace`, `${pod}-agent`], { force: true, timeoutSeconds: 0 }),
  );
  await podman.run(p.volumeRm([`${pod}-agent-work`]));
  const work: p.Mount = { type: "volume", source: `${pod}-work`, target };
  const base = { image: DEV_IMAGE, workdir: target, entrypoint: ["sleep", "infinity"] };
  await podman.run(p.containerRun({
    ...base,
    name: `${pod}-workspace`,
    pod,
    labels: {
      "io.devaipod.workspace": ws,
      "io.devaipod.role": "workspace",
      "io.devaipod.remote-user": "dev",
    },
    mounts: [work],
  }));
  await podman.run(p.containerRun({
    ...base,
    name: `${pod}-agent`,
    labels: { "io.devaipod.workspace": ws, "io.devaipod.role": "agent" },
    user: "1000:1000",
    networks: ["none"],
    mounts: [work],
  }));
}

podmanTest(
  "agent clone: verify's hook and write probes catch an agent sharing the human's tree; rebuild moves such a workspace to the agent's own clone, the human's files intact",
  async () => {
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    const ws = name();
    const target = `/workspaces/${dir.split("/").at(-1)}`;
    try {
      const up = await runDevaipod(["up", dir, "--name", ws, "-q"]);
      assertEquals(up.code, 0, up.stderr);
      // The human's work: a commit of its own and an uncommitted file.
      const [human] = await lines(
        ws,
        "workspace",
        "echo new > new.txt && git add new.txt && git -c user.email=h@example.com -c user.name=h commit -qm human && " +
          "echo dirty > dirty.txt && git rev-parse HEAD",
      );
      await oldLayout(ws, target);
      // The old layout's door is open: the agent's file lands in the human's tree.
      await lines(ws, "agent", "echo planted-by-agent > from-agent.txt");
      assertEquals(await lines(ws, "workspace", "cat from-agent.txt; rm from-agent.txt"), [
        "planted-by-agent",
      ]);

      // The same probes catch it.
      const shared = await verifyProbes(ws);
      assertEquals(shared.code, 1);
      assertMatch(shared.probes.get("hook") ?? "", /^FAIL: ESCAPE: .*post-checkout/);
      assertMatch(
        shared.probes.get("write") ?? "",
        new RegExp(`^FAIL: ESCAPE: a file the agent wrote .*devaipod-${ws}-work is mounted`),
      );
      // …and leave nothing behind in the tree they probed.
      assertEquals(
        await lines(
          ws,
          "workspace",
          "git status --porcelain; ls .git/hooks | grep -v sample; grep -c fsmonitor .git/config || true",
        ),
        ["?? dirty.txt", "0"],
      );
      const snapshot =
        "find . -type f ! -path ./.git/index -exec sha256sum {} + | sort | sha256sum";
      const [before] = await lines(ws, "workspace", snapshot);

      const rebuilt = await runDevaipod(["rebuild", ws]);
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertMatch(
        rebuilt.stderr,
        new RegExp(
          `devaipod-${ws}-work predates the agent's own clone: made devaipod-${ws}-agent-work from it, ` +
            `a clone of its HEAD ${
              human?.slice(0, 12)
            } \\(uncommitted changes not taken\\) on branch ` +
            `devaipod/${ws}; devaipod-${ws}-work was only read`,
        ),
      );
      assertMatch(
        rebuilt.stderr,
        /look at its \.git\/config and \.git\/hooks before you trust them/,
      );

      // The human's tree as it was, byte for byte (its index aside), on its own branch.
      assertEquals(await lines(ws, "workspace", snapshot), [before]);
      assertEquals(
        await lines(
          ws,
          "workspace",
          "git rev-parse HEAD; git branch --show-current; cat dirty.txt",
        ),
        [human, "master", "dirty"],
      );
      // The agent: its own clone of the human's HEAD, without the uncommitted file.
      assertEquals(
        await lines(
          ws,
          "agent",
          "git rev-parse HEAD; git branch --show-current; cat new.txt; test -e dirty.txt && echo dirty || echo clean; git fsck --no-dangling 2>&1 | wc -l",
        ),
        [human, `devaipod/${ws}`, "new", "clean", "0"],
      );
      assertEquals(
        (await volumeLabels(`devaipod-${ws}-agent-work`))["io.devaipod.agent-base"],
        human,
      );
      assertEquals((await labelled(ws)).volumes, 3);

      // The probes hold on the new layout.
      const held = await verifyProbes(ws);
      assertMatch(held.probes.get("hook") ?? "", /^ok: /);
      assertMatch(held.probes.get("write") ?? "", /^ok: /);
      assertEquals(held.code, 0, JSON.stringify([...held.probes]));

      // A second rebuild adopts the agent's volume: no migration again.
      const again = await runDevaipod(["rebuild", ws]);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(/predates/.test(again.stderr), false, again.stderr);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "agent clone: a git URL source gets the agent's clone too (shared network as well); a folder without git gets a copy of its files",
  async () => {
    const src = await Deno.makeTempDir({ prefix: "devaipod-agent-clone-src-" });
    const tree = join(src, "tree");
    await Deno.mkdir(join(tree, ".devcontainer"), { recursive: true });
    await Deno.writeTextFile(
      join(tree, ".devcontainer", "devcontainer.json"),
      JSON.stringify({ image: DEV_IMAGE, remoteUser: "dev" }),
    );
    await Deno.writeTextFile(join(tree, "README.md"), "main\n");
    await hostGit(tree, "init", "-q", "-b", "main");
    await hostGit(tree, "add", "-A");
    await hostGit(tree, "commit", "-qm", "main");
    const bare = join(src, "r.git");
    await hostGit(src, "clone", "-q", "--bare", tree, bare);
    const main = await hostGit(bare, "rev-parse", "main");
    const plain = await Deno.makeTempDir({ prefix: "devaipod-agent-clone-plain-" });
    await Deno.writeTextFile(join(plain, "notes.txt"), "no git here\n");
    const [a, b] = [name(), name()];
    try {
      const byUrl = await runDevaipod(
        ["up", `file://${bare}`, "--name", a, "--network-isolation", "off", "-q"],
      );
      assertEquals(byUrl.code, 0, byUrl.stderr);
      assertEquals(
        await lines(
          a,
          "agent",
          `git rev-parse HEAD; git branch --show-current; git remote get-url origin; grep -cF "/devaipod-${a}-work/_data " /proc/self/mountinfo || true`,
        ),
        [main, `devaipod/${a}`, `file://${bare}`, "0"],
      );
      assertEquals(
        await lines(a, "workspace", "git branch --show-current; cat /devaipod/agent/README.md"),
        [
          "main",
          "main",
        ],
      );
      assertEquals(
        (await volumeLabels(`devaipod-${a}-agent-work`))["io.devaipod.agent-base"],
        main,
      );

      const folder = await runDevaipod(["up", plain, "--image", DEV_IMAGE, "--name", b, "-q"]);
      assertEquals(folder.code, 0, folder.stderr);
      assertEquals(
        await lines(
          b,
          "agent",
          "cat notes.txt; test -e .git && echo git || echo no-git; echo agent > a.txt",
        ),
        ["no git here", "no-git"],
      );
      assertEquals(
        await lines(
          b,
          "workspace",
          "test -e a.txt && echo seen || echo unseen; cat /devaipod/agent/a.txt",
        ),
        [
          "unseen",
          "agent",
        ],
      );
      const labels = await volumeLabels(`devaipod-${b}-agent-work`);
      assertEquals([labels["io.devaipod.role"], labels["io.devaipod.agent-base"]], [
        "agent-work",
        undefined,
      ]);
    } finally {
      await Promise.all([purge(a), purge(b)]);
      await Deno.remove(src, { recursive: true });
      await Deno.remove(plain, { recursive: true });
    }
  },
);
