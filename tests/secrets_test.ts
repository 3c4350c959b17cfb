/**
 * Secrets with real podman: devcontainer.json `secrets` (values from the host) and the user
 * config's `[trusted] secrets` (the user's own podman secrets) reach the workspace — its
 * sessions and hooks — and never the agent, `podman inspect` or the dry-run.
 */
import { join } from "node:path";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { cleanupByLabel, TEST_LABEL, testRunId } from "./support/cleanup.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { inspectText, labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();

podmanTest(
  "secrets: declared and trusted secrets reach the workspace's sessions and hooks, not the agent",
  async () => {
    const run = testRunId();
    const npmValue = `npm-${crypto.randomUUID()}`;
    const ghValue = `gh-${crypto.randomUUID()}`;
    const userSecret = `user-gh-${run}`;
    // The user's own secret: not the workspace's, so it must survive the workspace.
    await podman.run(p.secretCreate(userSecret, ghValue, { labels: { [TEST_LABEL]: run } }));
    const dir = await project({
      image: DEV_IMAGE,
      remoteUser: "dev",
      secrets: { NPM_TOKEN: { description: "publishing" }, NOT_SET_ANYWHERE: {} },
      // Hooks run in both containers: the agent's copy must see nothing.
      postCreateCommand: "printenv NPM_TOKEN GH_TOKEN > /tmp/hook-saw; true",
    });
    const config = join(dir, "devaipod.toml");
    await Deno.writeTextFile(config, `[trusted]\nsecrets = ["GH_TOKEN=${userSecret}"]\n`);
    const ws = name();
    try {
      const up = await runDevaipod(
        ["--config", config, "up", dir, "--name", ws, "--network-isolation", "off"],
        { env: { NPM_TOKEN: npmValue } },
      );
      assertEquals(up.code, 0, up.stderr);
      assert(
        up.stderr.includes("secrets: NOT_SET_ANYWHERE is not set in your environment"),
        up.stderr,
      );

      const session = await runDevaipod(["exec", ws, "--", "printenv", "NPM_TOKEN", "GH_TOKEN"]);
      assertEquals(session.stdout.trim().split("\n"), [npmValue, ghValue], session.stderr);
      const hook = await runDevaipod(["exec", ws, "--", "cat", "/tmp/hook-saw"]);
      assertEquals(hook.stdout.trim().split("\n"), [npmValue, ghValue], "postCreate saw them");

      // The agent: neither in a session, nor in its server's environment, nor as files.
      const agent = await runDevaipod([
        "exec",
        ws,
        "-c",
        "agent",
        "--",
        "sh",
        "-c",
        'cat /tmp/hook-saw; printenv NPM_TOKEN GH_TOKEN; ls /run/secrets/devaipod-workspace-env 2>&1; for p in /proc/[0-9]*; do tr "\\0" "\\n" < $p/environ 2>/dev/null; done',
      ]);
      assertEquals(agent.stdout.includes(npmValue), false, agent.stdout);
      assertEquals(agent.stdout.includes(ghValue), false, agent.stdout);
      assert(agent.stdout.includes("No such file or directory"), agent.stdout);

      for (const role of ["workspace", "agent"]) {
        const text = await inspectText(`devaipod-${ws}-${role}`);
        assert(text.length > 100, `inspect of ${role} printed something`);
        assertEquals(text.includes(npmValue) || text.includes(ghValue), false, role);
      }
      const dry = await runDevaipod(
        ["--config", config, "up", dir, "--name", `${ws}x`, "--dry-run", "--json"],
        { env: { NPM_TOKEN: npmValue } },
      );
      assertEquals(dry.code, 0, dry.stderr);
      const drySteps = JSON.parse(dry.stdout).steps as {
        id: string;
        commands: { argv: string[]; stdin?: string }[];
      }[];
      const drySecret = drySteps.find((s) => s.id === `secret devaipod-${ws}x-ws-NPM_TOKEN`);
      assertEquals(drySecret?.commands[0]?.stdin, "<value of $NPM_TOKEN>", dry.stdout);
      assertEquals(dry.stdout.includes(npmValue), false, "dry-run redacts the value");

      // delete removes the workspace's own secret and keeps the user's.
      const del = await runDevaipod(["delete", "-f", ws]);
      assertEquals(del.code, 0, del.stderr);
      assertEquals((await labelled(ws)).secrets, 0);
      assert(await podman.run(p.secretExists(userSecret)), "the user's secret survives");
    } finally {
      await purge(ws);
      await cleanupByLabel(podman, run);
    }
  },
);

podmanTest(
  "secrets: a [trusted] secret that does not exist stops up before it creates anything",
  async () => {
    const dir = await project({ image: DEV_IMAGE });
    const config = join(dir, "devaipod.toml");
    await Deno.writeTextFile(config, '[trusted]\nsecrets = ["GH_TOKEN=no-such-secret-here"]\n');
    const ws = name();
    try {
      const up = await runDevaipod(["--config", config, "up", dir, "--name", ws]);
      assertEquals(up.code, 6, up.stderr);
      assert(
        up.stderr.includes(
          `${config}: [trusted] secrets: GH_TOKEN=no-such-secret-here: there is no podman secret named no-such-secret-here`,
        ),
        up.stderr,
      );
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
    }
  },
);
