/**
 * Dotfiles with real podman and git: the user config's `[dotfiles]` repository is cloned on the
 * host and installed in the workspace and the agent, after postCreateCommand and before
 * postStartCommand.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

/** A bare git repository holding `files`, and its file:// URL. */
async function dotfilesRepo(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-dotfiles-test-" });
  const tree = join(dir, "tree");
  await Deno.mkdir(tree);
  for (const [path, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(tree, path), text, { mode: 0o755 });
  }
  const git = async (...args: string[]) => {
    const r = await new Deno.Command("git", {
      args: ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
  };
  await git("-C", tree, "init", "-q", "-b", "main");
  await git("-C", tree, "add", "-A");
  await git("-C", tree, "commit", "-q", "-m", "dotfiles");
  await git("clone", "-q", "--bare", tree, join(dir, "dotfiles.git"));
  return `file://${join(dir, "dotfiles.git")}`;
}

async function userConfig(dir: string, text: string): Promise<string> {
  const file = join(dir, "devaipod.toml");
  await Deno.writeTextFile(file, text);
  return file;
}

/** Where devaipod keeps its state here (as the CLI computes it). */
function stateHome(): string {
  return Deno.env.get("XDG_STATE_HOME") ?? join(Deno.env.get("HOME") ?? "/root", ".local", "state");
}

const cat = (ws: string, role: string, path: string) =>
  runDevaipod(["exec", ws, "-c", role, "--", "sh", "-c", `cat ${path}`]);

podmanTest(
  "dotfiles: the install script runs in workspace and agent, after postCreate, before postStart",
  async () => {
    const url = await dotfilesRepo({
      "install.sh": '#!/bin/sh\necho "$(id -u) $HOME $PWD" > "$HOME/.installed"\n' +
        "echo dotfiles >> /tmp/order\n",
    });
    const dir = await project({
      image: DEV_IMAGE,
      remoteUser: "dev",
      postCreateCommand: "echo postCreate >> /tmp/order",
      postStartCommand: "echo postStart >> /tmp/order",
    });
    const config = await userConfig(dir, `[dotfiles]\nurl = "${url}"\n`);
    const ws = name();
    try {
      const up = await runDevaipod([
        "--config",
        config,
        "up",
        dir,
        "--name",
        ws,
        "--network-isolation",
        "off",
      ]);
      assertEquals(up.code, 0, up.stderr);
      assert(up.stderr.includes("dotfiles: clone"), up.stderr);
      for (const role of ["workspace", "agent"]) {
        const order = await cat(ws, role, "/tmp/order");
        assertEquals(
          order.stdout.trim().split("\n"),
          ["postCreate", "dotfiles", "postStart"],
          role,
        );
      }
      const home = await cat(ws, "workspace", '"$HOME/.installed"');
      assertEquals(home.stdout.trim(), "1000 /home/dev /home/dev/dotfiles");
      const agentHome = await cat(ws, "agent", '"$HOME/.installed"');
      assertEquals(agentHome.stdout.trim(), "1000 /devaipod/home /devaipod/home/dotfiles");

      // As if up had been killed before the create hooks finished: `start` runs them, and
      // installs the dotfiles with them, before postStart.
      const hooks = join(stateHome(), "devaipod", "workspaces", ws, "hooks");
      await Deno.remove(hooks, { recursive: true });
      assertEquals((await runDevaipod(["stop", ws])).code, 0);
      const start = await runDevaipod(["--config", config, "start", ws]);
      assertEquals(start.code, 0, start.stderr);
      assert(start.stderr.includes("dotfiles: clone"), start.stderr);
      const order = await cat(ws, "workspace", "/tmp/order");
      assertEquals(order.stdout.trim().split("\n").slice(-3), [
        "postCreate",
        "dotfiles",
        "postStart",
      ]);
    } finally {
      await purge(ws);
    }
  },
);

podmanTest(
  "dotfiles: without an install script the dotfiles are linked into HOME",
  async () => {
    const url = await dotfilesRepo({ ".devaipodrc": "from dotfiles\n", "README": "not linked\n" });
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    const config = await userConfig(dir, `[dotfiles]\nurl = "${url}"\n`);
    const ws = name();
    try {
      const up = await runDevaipod(
        ["--config", config, "up", dir, "--name", ws, "--network-isolation", "off"],
      );
      assertEquals(up.code, 0, up.stderr);
      const r = await runDevaipod([
        "exec",
        ws,
        "--",
        "sh",
        "-c",
        'readlink "$HOME/.devaipodrc"; cat "$HOME/.devaipodrc"; ls "$HOME/README" 2>&1',
      ]);
      const [link, text, readme] = r.stdout.trim().split("\n");
      assertEquals([link, text], ["/home/dev/dotfiles/.devaipodrc", "from dotfiles"]);
      assert(readme?.includes("No such file"), readme);
    } finally {
      await purge(ws);
    }
  },
);

podmanTest(
  "dotfiles: a repository that cannot be cloned stops up before it creates anything",
  async () => {
    const dir = await project({ image: DEV_IMAGE });
    const config = await userConfig(dir, `[dotfiles]\nurl = "file://${dir}/no-such-repo.git"\n`);
    const ws = name();
    try {
      const up = await runDevaipod(["--config", config, "up", dir, "--name", ws]);
      assertEquals(up.code, 1, up.stderr);
      assert(
        up.stderr.includes(`[dotfiles] url: cannot clone file://${dir}/no-such-repo.git`),
        up.stderr,
      );
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
    }
  },
);
