/**
 * `devaipod ssh-config` as a user runs it: HOME and XDG_STATE_HOME point at temporary folders,
 * so the managed `~/.ssh/config.d/devaipod`, the host key and known_hosts are the test's own.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotMatch } from "./support/assert.ts";
import { binDir, runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { name, project, purge } from "./support/workspaces.ts";

/** A HOME and a state folder of the test's own. */
async function homeEnv(): Promise<{ home: string; env: Record<string, string> }> {
  const home = await Deno.makeTempDir({ prefix: "devaipod-home-" });
  return { home, env: { HOME: home, XDG_STATE_HOME: join(home, "state") } };
}

Deno.test("ssh-config: a workspace that does not exist is exit 6, and nothing is written", async () => {
  // A podman that knows no pods.
  const bin = await binDir({ podman: "#!/bin/sh\necho '[]'\n" });
  const { home, env } = await homeEnv();
  try {
    const r = await runDevaipod(["ssh-config", "nope", "--write"], {
      env: { ...env, PATH: `${bin}:/usr/bin:/bin` },
    });
    assertEquals(r.code, 6, r.stderr);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, /no workspace named 'nope'/);
    assertEquals([...Deno.readDirSync(home)], []);
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("ssh-config: ssh-proxy is usable but not listed in the help", async () => {
  const help = await runDevaipod(["--help"]);
  assertMatch(help.stdout, /^ {2}ssh-config /m);
  assertNotMatch(help.stdout, /ssh-proxy/);
  const own = await runDevaipod(["ssh-proxy", "--help"]);
  assertEquals(own.code, 0);
  assertMatch(own.stdout, /Usage: devaipod ssh-proxy \[options\] <name>/);
});

podmanTest(
  "ssh-config: --write keeps the workspace's block, known_hosts and the include hint; delete removes the block",
  async () => {
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    const ws = name();
    const { home, env } = await homeEnv();
    const managed = join(home, ".ssh", "config.d", "devaipod");
    const knownHosts = join(home, "state", "devaipod", "ssh", "known_hosts");
    try {
      const up = await runDevaipod(["up", dir, "--name", ws, "--network-isolation", "off", "-q"]);
      assertEquals(up.code, 0, up.stderr);

      // Printed: the block on stdout, ~/.ssh untouched; the host key is made for it.
      const printed = await runDevaipod(["ssh-config", ws], { env });
      assertEquals(printed.code, 0, printed.stderr);
      assertMatch(printed.stdout, new RegExp(`^Host ${ws}\\.devaipod$`, "m"));
      assertMatch(printed.stdout, /^ {2}User dev$/m);
      assertMatch(printed.stdout, new RegExp(`^ {2}ProxyCommand .* ssh-proxy ${ws}$`, "m"));
      assertMatch(printed.stdout, /^ {2}HostKeyAlias devaipod-bridge$/m);
      assert(!(await exists(join(home, ".ssh"))), "printing writes nothing in ~/.ssh");

      // Written, without an Include in ~/.ssh/config: the hint names the line to add.
      const written = await runDevaipod(["ssh-config", ws, "--write"], { env });
      assertEquals(written.code, 0, written.stderr);
      assertEquals(written.stdout, "");
      assertMatch(written.stderr, /does not include it/);
      assertMatch(written.stderr, /^ {2}Include config\.d\/devaipod$/m);
      assertEquals(await Deno.readTextFile(managed), printed.stdout);
      assertEquals((await Deno.stat(managed)).mode, 0o100600);
      assert(!(await exists(join(home, ".ssh", "config"))), "~/.ssh/config is never written");

      const pub = (await Deno.readTextFile(
        join(home, "state", "devaipod", "ssh", "host_ed25519.pub"),
      )).trim().split(" ");
      assertEquals(
        await Deno.readTextFile(knownHosts),
        `devaipod-bridge ${pub[0]} ${pub[1]}\n`,
      );

      // With the Include at the top, it says so; --json describes the same block.
      await Deno.writeTextFile(join(home, ".ssh", "config"), "Include config.d/*\nHost x\n");
      const json = await runDevaipod(["ssh-config", ws, "--write", "--json"], { env });
      assertEquals(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout);
      assertEquals(doc.host, `${ws}.devaipod`);
      assertEquals(doc.user, "dev");
      assertEquals(doc.written, "unchanged");
      assertEquals(doc.include, { status: "top-level", line: 1 });
      assertEquals(doc.block, printed.stdout);
      assertEquals(doc.knownHostsFile, knownHosts);
      // devaipod's client key: private (0600), named by the block.
      assertEquals(doc.identityFile, join(home, "state", "devaipod", "ssh", "client_ed25519"));
      assertEquals((await Deno.stat(doc.identityFile)).mode, 0o100600);
      assertMatch(doc.block, new RegExp(`^ {2}IdentityFile ${doc.identityFile}$`, "m"));
      assertEquals(doc.proxyCommand.slice(-2), ["ssh-proxy", ws]);
      assertMatch(json.stderr, /includes it \(line 1\)/);

      const del = await runDevaipod(["delete", "-f", ws], { env });
      assertEquals(del.code, 0, del.stderr);
      assertMatch(del.stderr, new RegExp(`removed ${ws}\\.devaipod from `));
      assertEquals(await Deno.readTextFile(managed), "");
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(home, { recursive: true });
    }
  },
);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
