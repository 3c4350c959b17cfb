/**
 * `devaipod up` and the workspace commands against real podman, with the real opencode binary
 * injected into an image that has none. Each test uses its own workspace name and removes
 * everything (volumes too) by label at the end.
 */
import { join } from "node:path";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch, assertNotMatch } from "./support/assert.ts";
import { denoProgram, devaipodPermissionFlags, runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { inspectText, labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();
const KEY = `sk-ant-test-${crypto.randomUUID()}`;
const TRUSTED = `ghp_trusted_${crypto.randomUUID()}`;

const exec = (ws: string, role: string, script: string) =>
  runDevaipod(["exec", ws, "-c", role, "--", "sh", "-c", script]);

const HOOKS = {
  image: DEV_IMAGE,
  remoteUser: "dev",
  onCreateCommand: "echo x >> $HOME/.oncreate-count",
  postStartCommand: {
    slow: "sleep 0.4; date +%s%N > /tmp/slow-started-after",
    fast: "date +%s%N > /tmp/fast; echo x >> /tmp/poststart-count",
  },
};

podmanTest(
  "pods: up starts a healthy, sandboxed agent the workspace can reach; keys stay out of inspect",
  async () => {
    const dir = await project(HOOKS);
    const ws = name();
    try {
      const up = await runDevaipod(["up", dir, "write a haiku", "--name", ws, "--json"], {
        env: { ANTHROPIC_API_KEY: KEY, GH_TOKEN: TRUSTED },
      });
      assertEquals(up.code, 0, up.stderr);
      const result = JSON.parse(up.stdout);
      assertEquals([result.workspace, result.pod, result.task], [
        ws,
        `devaipod-${ws}`,
        "write a haiku",
      ]);
      assertMatch(result.sessionId, /^ses/);

      const status = await runDevaipod(["status", ws, "--json"]);
      assertEquals(status.code, 0, status.stderr);
      const s = JSON.parse(status.stdout);
      assertEquals([s.state, s.agent.health, s.task], ["running", "healthy", "write a haiku"]);

      // From the workspace: the shims' URL answers with the password, 401 without.
      const probe = await exec(
        ws,
        "workspace",
        'curl -s -o /dev/null -w "%{http_code}\\n" http://agent.devaipod:4096/global/health; ' +
          'curl -s -u "opencode:$(cat /run/secrets/devaipod-agent-password)" http://agent.devaipod:4096/global/health; echo; ' +
          "command -v opencode-agent; command -v oc; grep -c 'attach \"http://agent.devaipod:4096\"' /opt/devaipod/shims/opencode-agent",
      );
      assertEquals(probe.code, 0, probe.stderr);
      const [unauth, health, shim, oc, shimRef] = probe.stdout.trim().split("\n");
      assertEquals(unauth, "401");
      assertMatch(health ?? "", /"healthy":true/);
      assertEquals([shim, oc, shimRef], [
        "/opt/devaipod/shims/opencode-agent",
        "/opt/devaipod/shims/oc",
        "1",
      ]);

      // The agent: no capabilities, no new privileges, not root, HOME on its own volume.
      const agent = await exec(
        ws,
        "agent",
        'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; id -u; echo "$HOME"; stat -c %m "$HOME"',
      );
      assertMatch(agent.stdout, /^CapEff:\s+0+$/m);
      assertMatch(agent.stdout, /^NoNewPrivs:\s+1$/m);
      const [uid, home] = agent.stdout.trim().split("\n").slice(2);
      assert(uid !== "0", "the agent is not root");
      assertEquals(home, "/devaipod/home");
      const [agentInspect] = await podman.run(p.containerInspect(`devaipod-${ws}-agent`));
      assert(
        agentInspect?.Mounts.some((m) =>
          m.Type === "volume" && m.Name === `devaipod-${ws}-agent-home` &&
          m.Destination === "/devaipod/home"
        ),
      );

      // The agent process has a placeholder for the LLM key (the proxy holds the key and adds
      // it at its provider endpoint), and not the trusted token.
      const env = await exec(
        ws,
        "agent",
        'for p in /proc/[0-9]*; do grep -qa "opencode" $p/cmdline 2>/dev/null && tr "\\0" "\\n" < $p/environ; done | sort -u',
      );
      assert(
        env.stdout.includes("ANTHROPIC_API_KEY=devaipod-key-held-by-the-proxy"),
        "the placeholder reached the agent's process",
      );
      assertEquals(env.stdout.includes(KEY), false, "the real key reached the agent");
      assertEquals(env.stdout.includes("GH_TOKEN"), false);
      // …and the key appears in no container's inspect output.
      for (const role of ["workspace", "agent", "proxy"]) {
        const text = await inspectText(`devaipod-${ws}-${role}`);
        assert(text.length > 100, `inspect of ${role} printed something`);
        assertEquals(text.includes(KEY), false, `${role} inspect shows the key`);
        assertEquals(text.includes(TRUSTED), false, `${role} inspect shows the trusted token`);
      }
      const dry = await runDevaipod(["up", dir, "--name", `${ws}x`, "--dry-run", "--json"], {
        env: { ANTHROPIC_API_KEY: KEY },
      });
      assertEquals(dry.code, 0, dry.stderr);
      assertEquals(dry.stdout.includes(KEY), false, "dry-run redacts secrets");

      // The project's clone: committed files, not uncommitted ones.
      const files = await exec(ws, "workspace", "pwd; ls; git log --oneline | wc -l");
      assertEquals(files.stdout.trim().split("\n"), [
        `/workspaces/${dir.split("/").at(-1)}`,
        "README.md",
        "1",
      ]);

      // list shows it.
      const list = await runDevaipod(["list", "--json"]);
      const row = JSON.parse(list.stdout).find((r: { name: string }) => r.name === ws);
      assertEquals([row?.state, row?.agent.state, row?.task, row?.project], [
        "running",
        "running",
        "write a haiku",
        dir,
      ]);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: hooks run once per container, postStart on every start, in parallel; work survives stop/start; delete keeps volumes",
  async () => {
    const dir = await project(HOOKS);
    const ws = name();
    try {
      assertEquals((await runDevaipod(["up", dir, "--name", ws])).code, 0);
      assertEquals((await exec(ws, "workspace", "echo precious > work.txt")).code, 0);
      assertEquals((await runDevaipod(["stop", ws])).code, 0);
      assertEquals(
        JSON.parse((await runDevaipod(["status", ws, "--json"])).stdout).state,
        "exited",
      );
      const start = await runDevaipod(["start", ws]);
      assertEquals(start.code, 0, start.stderr);

      for (const role of ["workspace", "agent"]) {
        const counts = await exec(
          ws,
          role,
          "wc -l < $HOME/.oncreate-count; wc -l < /tmp/poststart-count; cat /tmp/fast /tmp/slow-started-after",
        );
        const [created, started, fast, slow] = counts.stdout.trim().split("\n");
        assertEquals([created, started], ["1", "2"], `${role}: onCreate once, postStart twice`);
        assert(
          BigInt(fast ?? "0") < BigInt(slow ?? "0"),
          `${role}: the object form ran its commands in parallel`,
        );
      }
      assertEquals((await exec(ws, "workspace", "cat work.txt")).stdout, "precious\n");

      // delete keeps the volumes; up of the same name adopts them with the work in place.
      const del = await runDevaipod(["delete", "-f", ws]);
      assertEquals(del.code, 0, del.stderr);
      assertEquals(await labelled(ws), { ...NOTHING, volumes: 3 }, "only the volumes stay");
      assertEquals((await runDevaipod(["up", dir, "--name", ws])).code, 0);
      assertEquals((await exec(ws, "workspace", "cat work.txt")).stdout, "precious\n");
      const gone = await runDevaipod(["delete", "-f", "--volumes", ws]);
      assertEquals(gone.code, 0, gone.stderr);
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: killed at every podman step of up, a later up or delete leaves nothing behind",
  async () => {
    const dir = await project({ image: DEV_IMAGE });
    const ws = name();
    const networksBefore = (await podman.run(p.networkLs())).map((n) => n.name).sort();
    try {
      // Count the steps of a full up (the hook exits with 137 at step N).
      // secrets, 2 volumes, the agent's volume, the two copies (imported together), the 2
      // networks, the proxy, the pod, workspace, agent: 12 steps. After 4 the agent's volume
      // exists but is empty.
      const last = 12;
      for (let step = 1; step <= last; step++) {
        const killed = await runDevaipod(["up", dir, "--name", ws], {
          env: { DEVAIPOD_TEST_STOP_AFTER_STEP: String(step) },
        });
        assertEquals(killed.code, 137, `step ${step}: ${killed.stderr}`);
        if (step === last) {
          // Killed after its last container: the workspace stands; start finishes it (create hooks too).
          const again = await runDevaipod(["up", dir, "--name", ws]);
          assertEquals(again.code, 9, again.stderr);
          assertMatch(again.stderr, /already exists/);
          const start = await runDevaipod(["start", ws]);
          assertEquals(start.code, 0, `start after a kill at the last step: ${start.stderr}`);
        } else if (step % 3 === 0 || step === 4) {
          const again = await runDevaipod(["up", dir, "--name", ws]);
          assertEquals(again.code, 0, `up after a kill at step ${step}: ${again.stderr}`);
          assertEquals((await labelled(ws)).containers, 4, "infra, workspace, agent and proxy");
        }
        const del = await runDevaipod(["delete", "-f", "--volumes", ws]);
        assertEquals(del.code, 0, `delete after a kill at step ${step}: ${del.stderr}`);
        assertEquals(await labelled(ws), NOTHING, `step ${step}`);
      }
      assertEquals((await podman.run(p.networkLs())).map((n) => n.name).sort(), networksBefore);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: a broken devcontainer.json or a missing image fails clearly and creates nothing",
  async () => {
    const ws = name();
    const broken = await Deno.makeTempDir();
    await Deno.writeTextFile(join(broken, ".devcontainer.json"), '{ "image": "x", "init": "yes" }');
    const r1 = await runDevaipod(["up", broken, "--name", ws]);
    assertEquals(r1.code, 3);
    assertMatch(r1.stderr, /\.devcontainer\.json:1:25: init: expected boolean, received string/);
    const missing = await Deno.makeTempDir();
    const image = `localhost/devaipod-test/missing-${ws}:latest`;
    await Deno.writeTextFile(join(missing, ".devcontainer.json"), JSON.stringify({ image }));
    const r2 = await runDevaipod(["up", missing, "--name", ws]);
    assertEquals(r2.code, 6, r2.stderr);
    assertMatch(
      r2.stderr,
      new RegExp(`error: image ${image.replaceAll("/", "\\/")} is not available`),
    );
    const none = await Deno.makeTempDir();
    const r3 = await runDevaipod(["up", none, "--name", ws]);
    assertEquals(r3.code, 6);
    assertMatch(r3.stderr, /hint: add a devcontainer\.json, or run an image with --image IMAGE/);
    assertEquals(await labelled(ws), NOTHING);
    for (const d of [broken, missing, none]) await Deno.remove(d, { recursive: true });
  },
);

podmanTest(
  "pods: --image runs a project without devcontainer.json; names resolve by prefix",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "devaipod-plain-" });
    await Deno.writeTextFile(join(dir, "notes.txt"), "no git here\n");
    const ws = name();
    try {
      const up = await runDevaipod(["up", dir, "--image", DEV_IMAGE, "--name", ws, "-q"]);
      assertEquals(up.code, 0, up.stderr);
      assertNotMatch(up.stderr, /✓/);
      const files = await runDevaipod(["exec", ws.slice(0, 6), "--", "cat", "notes.txt"]);
      assertEquals(files.stdout, "no git here\n");
      const inner = await runDevaipod(["exec", `devaipod-${ws}`, "--", "sh", "-c", "exit 3"]);
      assertEquals([inner.code, inner.stderr], [3, ""]);
      const unknown = await runDevaipod(["status", "no-such-workspace-x"]);
      assertEquals(unknown.code, 6);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: Ctrl-C during up removes what it created except volumes, and exits 130",
  async () => {
    const dir = await project({ image: DEV_IMAGE });
    const ws = name();
    try {
      const child = new Deno.Command(denoProgram(), {
        args: [
          "run",
          "--quiet",
          ...devaipodPermissionFlags(),
          new URL("../main.ts", import.meta.url).pathname,
          "up",
          dir,
          "--name",
          ws,
        ],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Interrupt once the pod exists (the agent is then still starting).
      let seen = false;
      for (let i = 0; i < 200 && !seen; i++) {
        seen = await podman.run(p.podExists(`devaipod-${ws}`));
        if (!seen) await new Promise((r) => setTimeout(r, 25));
      }
      child.kill("SIGINT");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert(seen, "the pod appeared");
      assertEquals(out.code, 130, stderr);
      assertMatch(stderr, /up interrupted: removing what it created \(volumes are kept\)/);
      assertEquals(await labelled(ws), { ...NOTHING, volumes: 3 }, "only the volumes stay");
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: forwardPorts are published on 127.0.0.1 and listed; a taken port fails before anything is made",
  async () => {
    const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (free.addr as Deno.NetAddr).port;
    free.close();
    const dir = await project({ image: DEV_IMAGE, forwardPorts: [port] });
    const ws = name();
    try {
      assertEquals((await runDevaipod(["up", dir, "--name", ws, "-q"])).code, 0);
      const status = JSON.parse((await runDevaipod(["status", ws, "--json"])).stdout);
      assertEquals(status.ports, [{ host: `127.0.0.1:${port}`, container: port }]);
      const inspect = await new Deno.Command("podman", {
        args: ["pod", "inspect", `devaipod-${ws}`],
        stdout: "piped",
      }).output();
      assertMatch(
        new TextDecoder().decode(inspect.stdout),
        new RegExp(`"HostIp": "127.0.0.1",\\s*"HostPort": "${port}"`),
      );

      // Another workspace wanting the same port fails at once, creating nothing.
      const other = name();
      const taken = await runDevaipod(["up", dir, "--name", other]);
      assertEquals(taken.code, 9, taken.stderr);
      assertMatch(
        taken.stderr,
        new RegExp(`forwardPorts: ${port} is already in use on 127\\.0\\.0\\.1`),
      );
      assertEquals(await labelled(other), NOTHING);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: rebuild reads the devcontainer.json that up --devcontainer chose",
  async () => {
    const dir = await project({ image: DEV_IMAGE });
    await Deno.remove(join(dir, ".devcontainer", "devcontainer.json"));
    for (const [named, marker] of [["one", "first"], ["two", "second"]] as const) {
      await Deno.mkdir(join(dir, ".devcontainer", named));
      await Deno.writeTextFile(
        join(dir, ".devcontainer", named, "devcontainer.json"),
        JSON.stringify({ image: DEV_IMAGE, containerEnv: { MARKER: marker } }),
      );
    }
    const ws = name();
    try {
      const up = await runDevaipod(["up", dir, "--devcontainer", "two", "--name", ws, "-q"]);
      assertEquals(up.code, 0, up.stderr);
      // Two named configs and no default: without the recorded choice, rebuild could not pick.
      const rebuilt = await runDevaipod(["rebuild", ws, "-q"]);
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertEquals((await exec(ws, "workspace", "echo $MARKER")).stdout, "second\n");
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "pods: rebuild makes new containers from the config; the work, the allowlist additions and the volumes stay",
  async () => {
    const dir = await project(HOOKS);
    const ws = name();
    let featuresImage: string | undefined;
    try {
      assertEquals((await runDevaipod(["up", dir, "--name", ws, "-q"])).code, 0);
      assertEquals((await exec(ws, "workspace", "echo kept > work.txt")).code, 0);
      assertEquals((await runDevaipod(["allow", ws, "extra.example.com"])).code, 0);
      const before = (await podman.run(p.containerInspect(`devaipod-${ws}-agent`)))[0]?.Id;
      // What would fail is found before anything is removed: a missing image, a broken config.
      const missing = `localhost/devaipod-test/missing-${ws}:latest`;
      const noImage = await runDevaipod(["rebuild", ws, "--image", missing]);
      assertEquals(noImage.code, 6, noImage.stderr);
      assertMatch(noImage.stderr, new RegExp(`workspace ${ws} was left as it was`));
      const config = join(dir, ".devcontainer", "devcontainer.json");
      const good = await Deno.readTextFile(config);
      await Deno.writeTextFile(config, '{ "image": "x", "init": "yes" }');
      const broken = await runDevaipod(["rebuild", ws]);
      assertEquals(broken.code, 3, broken.stderr);
      assertMatch(broken.stderr, /devcontainer\.json:1:25: init: expected boolean/);
      // A Dockerfile that does not build.
      await Deno.writeTextFile(
        join(dir, ".devcontainer", "Dockerfile"),
        `FROM ${DEV_IMAGE}\nRUN echo the build breaks >&2; exit 1\n`,
      );
      await Deno.writeTextFile(config, JSON.stringify({ build: { dockerfile: "Dockerfile" } }));
      const unbuilt = await runDevaipod(["rebuild", ws]);
      assert(unbuilt.code !== 0, unbuilt.stderr);
      assertMatch(unbuilt.stderr, /the build breaks/);
      assertMatch(unbuilt.stderr, new RegExp(`workspace ${ws} was left as it was`));
      // A Feature added to the config: rebuild builds its image first, then the new containers
      // run it.
      await Deno.mkdir(join(dir, ".devcontainer", "marker"), { recursive: true });
      await Deno.writeTextFile(
        join(dir, ".devcontainer", "marker", "devcontainer-feature.json"),
        JSON.stringify({ id: "marker", version: "1.0.0" }),
      );
      await Deno.writeTextFile(
        join(dir, ".devcontainer", "marker", "install.sh"),
        "#!/bin/sh\necho rebuilt-with-marker > /etc/devaipod-marker\n",
      );
      await Deno.writeTextFile(
        config,
        JSON.stringify({ ...JSON.parse(good), features: { "./marker": {} } }),
      );
      assertEquals(
        (await podman.run(p.containerInspect(`devaipod-${ws}-agent`)))[0]?.Id,
        before,
        "failed rebuilds left the workspace alone",
      );
      const rebuilt = await runDevaipod(["rebuild", ws]);
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertMatch(rebuilt.stderr, /install Features \.\/marker/);
      assertEquals(
        (await exec(ws, "workspace", "cat /etc/devaipod-marker")).stdout,
        "rebuilt-with-marker\n",
      );
      const [agentAfter] = await podman.run(p.containerInspect(`devaipod-${ws}-agent`));
      const after = agentAfter?.Id;
      assert(before && after && before !== after, "a new agent container");
      featuresImage = agentAfter?.ImageName;
      assertMatch(featuresImage ?? "", /-features:/);
      assertEquals((await exec(ws, "workspace", "cat work.txt")).stdout, "kept\n");
      // Create hooks run again in the new containers (their count restarts at 1).
      assertEquals(
        (await exec(ws, "workspace", "wc -l < $HOME/.oncreate-count")).stdout.trim(),
        "1",
      );
      const allow = await Deno.readTextFile(
        `${Deno.env.get("HOME")}/.local/state/devaipod/workspaces/${ws}/allow`,
      );
      assert(allow.includes("extra.example.com"), "the allow addition survived");
      const entries = allow.split("\n").filter((l) => l && !l.startsWith("#"));
      assertEquals(entries.length, new Set(entries).size, `no entry twice:\n${allow}`);
      assertEquals((await labelled(ws)).volumes, 3);
    } finally {
      await purge(ws);
      // The Features image the rebuild made (a cache, which delete never removes).
      if (featuresImage) {
        await podman.run(p.imageRm([featuresImage], { force: true })).catch(() => {});
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
);
