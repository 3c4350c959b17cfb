/**
 * Settings that are read are applied, or said to be ignored: never silently dropped. Through the
 * CLI, for the devcontainer.json and user config settings whose effect no other test shows:
 * Features (a warning until they are installed), `[network-isolation] allowed_domains` in the
 * plan (tests/egress_test.ts proves it against a real proxy), `customizations.devaipod.agentBinary`.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { name } from "./support/workspaces.ts";

/** A project whose `.devcontainer.json` is `text` as written. */
async function projectWith(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-settings-" });
  await Deno.writeTextFile(join(dir, ".devcontainer.json"), text);
  return dir;
}

/** A step of `up --dry-run --json`. */
interface Step {
  id: string;
  step: string;
  commands: { argv: string[]; stdin?: string; when?: string }[];
  action?: string;
}

/** The argv of the step `id`'s only command, joined (`""` when there is no such step). */
function argvOf(steps: readonly Step[], id: string): string {
  const commands = steps.find((s) => s.id === id)?.commands ?? [];
  assert(commands.length <= 1, `${id}: ${JSON.stringify(commands)}`);
  return commands[0]?.argv.join(" ") ?? "";
}

async function dryRun(args: string[]): Promise<{ code: number; stderr: string; steps: Step[] }> {
  const r = await runDevaipod([...args, "--dry-run", "--json"]);
  return { code: r.code, stderr: r.stderr, steps: r.code === 0 ? JSON.parse(r.stdout).steps : [] };
}

Deno.test("settings: Features are a step of the plan: their image is built over the config's, and both containers run it; a bad reference is a config error at its line:col", async () => {
  const dir = await projectWith(`{
  "image": "${DEV_IMAGE}",
  "features": {
    "./hello": { "who": "tests" }
  }
}
`);
  try {
    await Deno.mkdir(join(dir, "hello"));
    await Deno.writeTextFile(
      join(dir, "hello", "devcontainer-feature.json"),
      JSON.stringify({
        id: "hello",
        version: "1.0.0",
        options: { who: { type: "string", default: "me" } },
      }),
    );
    await Deno.writeTextFile(join(dir, "hello", "install.sh"), "#!/bin/sh\necho hello $WHO\n");
    const json = await dryRun(["up", dir, "--name", "feat"]);
    assertEquals(json.code, 0, json.stderr);
    assertMatch(json.stderr, /resolve Features \.\/hello/);
    const ids = json.steps.map((s) => s.id);
    assertEquals(ids.indexOf("features"), ids.indexOf("image") + 1, ids.join(" "));
    const build = json.steps.find((s) => s.id === "features")?.commands ?? [];
    assertEquals(
      build.map((c) => c.argv[0] === "podman" ? c.argv.slice(1, 3) : c.argv.slice(0, 2)),
      [
        ["image", "exists"],
        ["image", "inspect"],
        ["build", "--quiet"],
      ],
    );
    const tag = build[0]?.argv.at(-1) ?? "";
    assertMatch(tag, /^localhost\/devaipod\/.*-features:[0-9a-f]{16}$/);
    assert(build[2]?.argv.includes("--pull=never"), "the Features build never pulls");
    const image = json.steps.find((s) => s.id === "image")?.commands ?? [];
    assertEquals(image[0]?.argv.slice(1), ["image", "exists", DEV_IMAGE], "the base comes first");
    for (const role of ["workspace", "agent"]) {
      assert(
        json.steps.find((s) => s.id === `container devaipod-feat-${role}`)?.commands[0]?.argv
          .includes(tag),
        `the ${role} runs the Features image`,
      );
    }

    // A reference that names nothing: the file, line:col and key.
    const file = join(dir, ".devcontainer.json");
    await Deno.writeTextFile(
      file,
      `{\n  "image": "${DEV_IMAGE}",\n  "features": { "nodejs": {} }\n}\n`,
    );
    const bad = await runDevaipod(["up", dir, "--name", "feat", "--dry-run"]);
    assertEquals(bad.code, 3, bad.stderr);
    assertMatch(
      bad.stderr,
      new RegExp(`${file}:3:17: features\\.nodejs: Feature 'nodejs' is not a reference`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("settings: [network-isolation] allowed_domains joins the agent's allowlist with allowedDomains and --allow", async () => {
  const dir = await projectWith(JSON.stringify({
    image: DEV_IMAGE,
    customizations: { devaipod: { allowedDomains: ["cfg.example.test"] } },
  }));
  const config = join(dir, "devaipod.toml");
  await Deno.writeTextFile(
    config,
    '[network-isolation]\nallowed_domains = ["user.example.test", "*.user.example.test:8443"]\n',
  );
  try {
    const r = await dryRun([
      "--config",
      config,
      "up",
      dir,
      "--name",
      "allow",
      "--allow",
      "flag.example.test",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const action = r.steps.find((s) => s.id === "allow-file")?.action ?? "";
    assertMatch(
      action,
      /registry\.npmjs\.org, cfg\.example\.test, user\.example\.test, \*\.user\.example\.test:8443, flag\.example\.test$/,
    );
    // Without isolation there is no allowlist (the agent reaches anything; `up` warns).
    const off = await dryRun(["--config", config, "up", dir, "--network-isolation", "off"]);
    assertEquals(off.code, 0, off.stderr);
    assert(off.steps.some((s) => s.id === "wait-agent"), "the plan is complete");
    assertEquals(off.steps.some((s) => s.id === "allow-file"), false);

    // A bad entry stops up before anything is made, naming where it came from.
    const flag = await runDevaipod(["up", dir, "--allow", "not a host", "--dry-run"]);
    assertEquals([flag.code, flag.stdout], [2, ""]);
    assertEquals(
      flag.stderr.split("\n")[0],
      "error: --allow: 'not a host': not a host name, *.domain or IP address",
    );
    await Deno.writeTextFile(config, '[network-isolation]\nallowed_domains = ["a.test:0"]\n');
    const user = await runDevaipod(["--config", config, "up", dir, "--dry-run"]);
    assertEquals(user.code, 3);
    assertEquals(
      user.stderr.split("\n")[0],
      `error: ${config}:2:1: network-isolation.allowed_domains.0: 'a.test:0': bad port`,
    );
    await Deno.writeTextFile(
      join(dir, ".devcontainer.json"),
      JSON.stringify({
        image: DEV_IMAGE,
        customizations: { devaipod: { allowedDomains: ["a b"] } },
      }),
    );
    const project = await runDevaipod(["up", dir, "--dry-run"]);
    assertEquals(project.code, 3);
    assertEquals(
      project.stderr.split("\n")[0],
      `error: ${join(dir, ".devcontainer.json")}: customizations.devaipod.allowedDomains: ` +
        "'a b': not a host name, *.domain or IP address",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('settings: agentBinary "image" plans the image\'s own opencode, nothing injected', async () => {
  const injected = await projectWith(JSON.stringify({ image: DEV_IMAGE }));
  const own = await projectWith(JSON.stringify({
    image: DEV_IMAGE,
    customizations: { devaipod: { agentBinary: "image" } },
  }));
  try {
    const plan = async (dir: string) => {
      const r = await dryRun(["up", dir, "--name", "bin"]);
      assertEquals(r.code, 0, r.stderr);
      return r.steps;
    };
    // The default, for contrast: devaipod's pinned binary, fetched, mounted into both containers.
    const withBinary = await plan(injected);
    assert(withBinary.some((s) => s.id === "agent-binary"));
    assertMatch(
      argvOf(withBinary, "container devaipod-bin-agent"),
      /\/opt\/devaipod\/bin\/opencode serve /,
    );
    assertMatch(
      argvOf(withBinary, "container devaipod-bin-workspace"),
      /source=<agent\.binary>,destination=\/opt\/devaipod\/bin\/opencode/,
    );
    const ownSteps = await plan(own);
    assertEquals(ownSteps.some((s) => s.id === "agent-binary"), false, "nothing is fetched");
    const agent = argvOf(ownSteps, "container devaipod-bin-agent");
    assertMatch(agent, / opencode serve --port 4096 /);
    assertEquals(agent.includes("/opt/devaipod/bin/opencode"), false, agent);
    const workspace = argvOf(ownSteps, "container devaipod-bin-workspace");
    assertMatch(workspace, /^podman container run /);
    assertEquals(workspace.includes("/opt/devaipod/bin/opencode"), false, workspace);
  } finally {
    await Deno.remove(injected, { recursive: true });
    await Deno.remove(own, { recursive: true });
  }
});

Deno.test("settings: an agent devaipod cannot run is refused where it is named, before anything happens", async () => {
  const dir = await projectWith(
    `{\n  "image": "${DEV_IMAGE}",\n  "customizations": { "devaipod": { "agent": "aider" } }\n}\n`,
  );
  const config = join(dir, "devaipod.toml");
  await Deno.writeTextFile(config, '[agent]\ndefault = "goose"\n');
  const known = "(known: opencode, claude, codex, gemini)";
  try {
    const project = await runDevaipod(["up", dir, "--dry-run"]);
    assertEquals([project.code, project.stdout], [3, ""]);
    assertEquals(
      project.stderr.split("\n")[0],
      `error: ${join(dir, ".devcontainer.json")}:3:46: customizations.devaipod.agent: ` +
        `no such agent profile "aider" ${known}`,
    );
    await Deno.mkdir(join(dir, "bare"));
    const user = await runDevaipod([
      "--config",
      config,
      "up",
      join(dir, "bare"),
      "--image",
      DEV_IMAGE,
      "--dry-run",
    ]);
    assertEquals([user.code, user.stdout], [3, ""], user.stderr);
    assertEquals(
      user.stderr.split("\n")[0],
      `error: ${config}:2:1: [agent] default: no such agent profile "goose" ${known}`,
    );
    const flag = await runDevaipod(["up", dir, "--agent", "aider", "--dry-run"]);
    assertEquals([flag.code, flag.stderr.split("\n")[0]], [
      2,
      `error: --agent aider: no such agent profile ${known}`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

podmanTest(
  'settings: agentBinary "image": up fetches no binary and starts the image\'s own opencode',
  async () => {
    // The test image has no opencode of its own: the agent fails to start, and its log says what
    // it ran (given the time to say it, on a busy host).
    const dir = await projectWith(JSON.stringify({
      image: DEV_IMAGE,
      customizations: { devaipod: { agentBinary: "image" } },
    }));
    const ws = name();
    try {
      const r = await runDevaipod([
        "up",
        dir,
        "--name",
        ws,
        "--network-isolation",
        "off",
        "--ready-timeout",
        "10",
      ]);
      assertEquals(r.code, 1, r.stderr);
      assertEquals(r.stderr.includes("agent binary opencode"), false, "nothing was fetched");
      assertMatch(r.stderr, /the agent did not become healthy within 10s/);
      assertMatch(r.stderr, /exec: opencode: not found/);
    } finally {
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
