import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { memoryFs } from "../../tests/support/memory_fs.ts";
import { ConfigError, NotFoundError } from "../errors.ts";
import { discoverConfig } from "./discover.ts";
import { metadataImage } from "./image_metadata.ts";
import { formatPath, resolveDevcontainer, updateLegacyKeys } from "./resolve.ts";
import { defaultWorkspaceLayout, devcontainerId, findGitRoot } from "./workspace.ts";

const env = { HOME: "/home/u", TOKEN: "t" };
const resolve = (files: Record<string, string>, extra: { devcontainer?: string } = {}) =>
  resolveDevcontainer({ folder: "/p", env, platform: "linux", fs: memoryFs(files), ...extra });

Deno.test("discover: .devcontainer/devcontainer.json wins over .devcontainer.json", async () => {
  const fs = memoryFs({
    "/p/.devcontainer/devcontainer.json": "{}",
    "/p/.devcontainer.json": "{}",
  });
  assertEquals(await discoverConfig(fs, "/p"), "/p/.devcontainer/devcontainer.json");
  assertEquals(
    await discoverConfig(memoryFs({ "/p/.devcontainer.json": "{}" }), "/p"),
    "/p/.devcontainer.json",
  );
  assertEquals(await discoverConfig(memoryFs({ "/p/x": "" }), "/p"), undefined);
});

Deno.test("discover: --devcontainer takes a path or a sub-folder name", async () => {
  const fs = memoryFs({
    "/p/.devcontainer/devcontainer.json": "{}",
    "/p/.devcontainer/py/devcontainer.json": "{}",
    "/elsewhere/dc.json": "{}",
  });
  assertEquals(await discoverConfig(fs, "/p", "py"), "/p/.devcontainer/py/devcontainer.json");
  assertEquals(await discoverConfig(fs, "/p", "/elsewhere/dc.json"), "/elsewhere/dc.json");
  assertEquals(await discoverConfig(fs, "/p", "../elsewhere/dc.json", "/p"), "/elsewhere/dc.json");
  const err = await assertRejects(() => discoverConfig(fs, "/p", "rb"), NotFoundError);
  assertEquals(err.hint, "named configs here: py");
});

Deno.test("discover: only named configs, none chosen: a config error (exit 3) naming the folder and listing them", async () => {
  const fs = memoryFs({
    "/p/.devcontainer/b/devcontainer.json": "{}",
    "/p/.devcontainer/a/devcontainer.json": "{}",
    "/p/.devcontainer/c/other.json": "{}",
  });
  const err = await assertRejects(() => discoverConfig(fs, "/p"), ConfigError);
  assertEquals(err.exitCode, 3);
  assertEquals(
    err.message,
    "/p/.devcontainer: 2 dev container configs and none is the default: a, b",
  );
});

Deno.test("workspace: the git root is found by .git/config or a worktree's .git file", async () => {
  assertEquals(
    await findGitRoot(memoryFs({ "/r/.git/config": "", "/r/a/b/x": "" }), "/r/a/b"),
    "/r",
  );
  assertEquals(
    await findGitRoot(memoryFs({ "/r/a/.git": "gitdir: ../x", "/r/.git/config": "" }), "/r/a"),
    "/r/a",
  );
  assertEquals(await findGitRoot(memoryFs({ "/r/a/x": "" }), "/r/a"), undefined);
});

Deno.test("workspace: the default layout mounts the git root under /workspaces", async () => {
  const fs = memoryFs({ "/src/repo/.git/config": "", "/src/repo/sub/p/f": "" });
  const base = { fs, platform: "linux" as const, compose: false, hasWorkspaceMount: false };
  assertEquals(await defaultWorkspaceLayout({ ...base, localWorkspaceFolder: "/src/repo/sub/p" }), {
    workspaceFolder: "/workspaces/repo/sub/p",
    workspaceMount: "type=bind,source=/src/repo,target=/workspaces/repo",
  });
  assertEquals(await defaultWorkspaceLayout({ ...base, localWorkspaceFolder: "/tmp/a,b" }), {
    workspaceFolder: "/workspaces/a,b",
    workspaceMount: 'type=bind,"source=/tmp/a,b","target=/workspaces/a,b"',
  });
  assertEquals(
    (await defaultWorkspaceLayout({ ...base, platform: "darwin", localWorkspaceFolder: "/tmp/x" }))
      .workspaceMount,
    "type=bind,source=/tmp/x,target=/workspaces/x,consistency=consistent",
  );
  assertEquals(
    await defaultWorkspaceLayout({
      ...base,
      localWorkspaceFolder: "/tmp/x",
      workspaceFolder: "/w",
      hasWorkspaceMount: true,
      workspaceMount: "m",
    }),
    { workspaceFolder: "/w", workspaceMount: "m" },
  );
  assertEquals(
    await defaultWorkspaceLayout({ ...base, compose: true, localWorkspaceFolder: "/tmp/x" }),
    { workspaceFolder: "/", workspaceMount: undefined },
  );
});

Deno.test("workspace: devcontainerId is sha256 of the sorted labels, in base 32, 52 characters", async () => {
  const labels = {
    "devcontainer.local_folder": "/p",
    "devcontainer.config_file": "/p/.devcontainer.json",
  };
  const hex = createHash("sha256").update(JSON.stringify(labels, Object.keys(labels).sort()))
    .digest("hex");
  const expected = BigInt(`0x${hex}`).toString(32).padStart(52, "0");
  assertEquals(await devcontainerId(labels), expected);
  assertEquals(expected.length, 52);
  assertEquals(await devcontainerId({ b: "1", a: "2" }), await devcontainerId({ a: "2", b: "1" }));
});

Deno.test("resolve: an image config", async () => {
  const r = await resolve({
    "/p/.devcontainer/devcontainer.json":
      '{ "image": "debian", "remoteEnv": { "T": "${localEnv:TOKEN}" } }',
  });
  assertEquals(r.source, { kind: "image", image: "debian" });
  assertEquals(r.configFile, "/p/.devcontainer/devcontainer.json");
  assertEquals([r.containerWorkspaceFolder, r.workspaceMount], [
    "/workspaces/p",
    "type=bind,source=/p,target=/workspaces/p",
  ]);
  assertEquals(r.config.remoteEnv, { T: "t" });
  assertEquals(r.configuration.configFilePath, {
    $mid: 1,
    fsPath: r.configFile,
    path: r.configFile,
    scheme: "vscode-fileHost",
  });
  assertEquals(r.lifecycle, { steps: [], waitFor: "updateContentCommand" });
  assertEquals(r.devaipod, {});
  assertEquals(r.warnings, []);
});

Deno.test("resolve: a Dockerfile config: paths from the config's folder, context defaults to the Dockerfile's", async () => {
  const files = {
    "/p/.devcontainer/devcontainer.json":
      '{ "build": { "dockerfile": "../docker/Dockerfile", "args": { "A": "${localEnv:HOME}" }, "cacheFrom": "c" } }',
    "/p/docker/Dockerfile": "FROM x",
  };
  const r = await resolve(files);
  assertEquals(r.source, {
    kind: "dockerfile",
    dockerfile: "/p/docker/Dockerfile",
    context: "/p/docker",
    args: { A: "/home/u" },
    cacheFrom: ["c"],
    options: [],
  });
  const legacy = await resolve({
    "/p/.devcontainer/devcontainer.json":
      '{ "dockerFile": "D", "context": "..", "build": { "target": "t" } }',
    "/p/.devcontainer/D": "",
  });
  assertEquals(legacy.source, {
    kind: "dockerfile",
    dockerfile: "/p/.devcontainer/D",
    context: "/p",
    args: {},
    target: "t",
    cacheFrom: [],
    options: [],
  });
});

Deno.test("resolve: a Compose config", async () => {
  const r = await resolve({
    "/p/.devcontainer/devcontainer.json":
      '{ "dockerComposeFile": ["../c.yml", "o.yml"], "service": "app", "workspaceFolder": "/w" }',
    "/p/c.yml": "",
    "/p/.devcontainer/o.yml": "",
  });
  assertEquals(r.source, {
    kind: "compose",
    files: ["/p/c.yml", "/p/.devcontainer/o.yml"],
    service: "app",
  });
  assertEquals([r.containerWorkspaceFolder, r.workspaceMount], ["/w", undefined]);
  // Not run yet: a config error (exit 3) naming the file, for image metadata as for `up`.
  const err = await assertRejects(() => metadataImage(r), ConfigError);
  assertEquals([err.exitCode, err.location?.file], [3, "/p/.devcontainer/devcontainer.json"]);
  assertEquals(
    err.message,
    "/p/.devcontainer/devcontainer.json: merging image metadata is not supported for Compose configs yet",
  );
});

Deno.test("resolve: lifecycle steps, waitFor and devaipod settings", async () => {
  const r = await resolve({
    "/p/.devcontainer.json": JSON.stringify({
      image: "x",
      postStartCommand: ["echo", "${containerWorkspaceFolder}"],
      onCreateCommand: { a: "x", b: "y" },
      waitFor: "postCreateCommand",
      customizations: {
        devaipod: { envAllowlist: ["MY_KEY"], allowedDomains: ["api.example.com"] },
      },
    }),
  });
  assertEquals(r.lifecycle.steps.map((s) => s.hook), ["onCreateCommand", "postStartCommand"]);
  assertEquals(r.lifecycle.steps[1]?.command, {
    kind: "single",
    form: "exec",
    argv: ["echo", "/workspaces/p"],
  });
  assertEquals(r.lifecycle.waitFor, "postCreateCommand");
  assertEquals(r.devaipod, { envAllowlist: ["MY_KEY"], allowedDomains: ["api.example.com"] });
});

Deno.test("resolve: unknown and repeated keys are warnings with locations", async () => {
  const r = await resolve({
    "/p/.devcontainer.json": '{\n  "image": "x",\n  "colour": 1,\n  "image": "y"\n}',
  });
  assertEquals(r.warnings, [
    {
      message: 'unknown property "colour" (kept, but devaipod does not use it)',
      location: { file: "/p/.devcontainer.json", line: 3, column: 3 },
    },
    {
      message: "image is given more than once; the last one counts",
      location: { file: "/p/.devcontainer.json", line: 4, column: 3 },
    },
  ]);
  assertEquals(r.config.image, "y");
});

Deno.test("resolve: upstream devaipod's keys are accepted (bootc's nestedContainers beside privileged)", async () => {
  const r = await resolve({
    "/p/.devcontainer.json": JSON.stringify({
      image: "x",
      privileged: true,
      customizations: {
        devaipod: { nestedContainers: true, envAllowlist: ["A_KEY"], allowedDomains: ["a.test"] },
      },
    }),
  });
  assertEquals(r.devaipod, {
    nestedContainers: true,
    envAllowlist: ["A_KEY"],
    allowedDomains: ["a.test"],
  });
  assertEquals(r.warnings, []);
});

Deno.test("resolve: an unknown customizations.devaipod key is a located warning, never an error", async () => {
  const r = await resolve({
    "/p/.devcontainer.json": [
      "{",
      '  "image": "x",',
      '  "customizations": {',
      '    "devaipod": {',
      '      "nestedContainers": false,',
      "      // a setting of a newer devaipod",
      '      "futureThing": { "deep": [1] },',
      '      "with-dash": 1',
      "    }",
      "  }",
      "}",
    ].join("\n"),
  });
  const known = "agent, agentBinary, envAllowlist, allowedDomains, nestedContainers, projects, gpu";
  assertEquals(r.warnings, [
    {
      message:
        `customizations.devaipod.futureThing: unknown key, ignored (devaipod knows ${known})`,
      location: { file: "/p/.devcontainer.json", line: 7, column: 7 },
    },
    {
      message:
        `customizations.devaipod["with-dash"]: unknown key, ignored (devaipod knows ${known})`,
      location: { file: "/p/.devcontainer.json", line: 8, column: 7 },
    },
  ]);
  // Dropped from devaipod's settings, kept in the reference's configuration.
  assertEquals(r.devaipod, { nestedContainers: false });
  const custom = r.configuration.customizations as { devaipod: Record<string, unknown> };
  assertEquals(custom.devaipod.futureThing, { deep: [1] });
});

Deno.test("resolve: a known customizations.devaipod key with a wrong type is a located error", async () => {
  const err = await assertRejects(
    () =>
      resolve({
        "/p/.devcontainer.json":
          '{\n  "image": "x",\n  "customizations": { "devaipod": { "nestedContainers": "yes" } }\n}',
      }),
    ConfigError,
  );
  assertEquals(err.exitCode, 3);
  assertEquals(err.problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`), [
    "3:57 customizations.devaipod.nestedContainers: expected boolean, received string",
  ]);
});

Deno.test("resolve: every problem is reported at once, in file order", async () => {
  const err = await assertRejects(
    () =>
      resolve({
        "/p/.devcontainer.json":
          '{\n  "init": "yes",\n  "image": 1,\n  "containerEnv": { "A": "${env}" }\n}',
      }),
    ConfigError,
  );
  assertEquals(err.problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`), [
    "2:11 init: expected boolean, received string",
    "3:12 image: expected string, received number",
    "4:26 '${env}' can not be resolved because no environment variable name is given",
  ]);
  assert(
    err.message.startsWith(
      "3 problems in /p/.devcontainer.json:\n  /p/.devcontainer.json:2:11: init:",
    ),
  );
});

Deno.test("resolve: a missing project folder or config is not found (exit 6)", async () => {
  await assertRejects(() => resolve({ "/q/x": "" }), /project folder \/p does not exist/);
  const err = await assertRejects(() => resolve({ "/p/README": "" }), NotFoundError);
  assertEquals(err.exitCode, 6);
});

Deno.test("resolve: legacy VS Code keys move under customizations.vscode", () => {
  assertEquals(updateLegacyKeys({ image: "x" }), { image: "x" });
  assertEquals(
    updateLegacyKeys({
      extensions: ["a"],
      settings: { s: 1, t: 1 },
      devPort: 2,
      customizations: { vscode: { extensions: ["b"], settings: { t: 2 } } },
    }),
    {
      customizations: { vscode: { extensions: ["b", "a"], settings: { s: 1, t: 2 }, devPort: 2 } },
    },
  );
});

Deno.test("resolve: paths are shown as people write them", () => {
  assertEquals(formatPath(["build", "args", "X"]), "build.args.X");
  assertEquals(formatPath(["forwardPorts", 1]), "forwardPorts[1]");
  assertEquals(formatPath(["portsAttributes", "3000", "label"]), 'portsAttributes["3000"].label');
  assertEquals(formatPath([]), "");
});
