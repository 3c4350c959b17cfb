import { assert, assertEquals } from "../../tests/support/assert.ts";
import { resolved } from "../../tests/support/resolved.ts";
import type { MetadataEntry } from "../devcontainer/metadata.ts";
import { withFeatureMetadata } from "./with_features.ts";

const A = "ghcr.io/o/c/a:1";
const B = "./b";

const config = {
  image: "debian:12",
  capAdd: ["SYS_PTRACE"],
  mounts: ["type=volume,source=from-config,target=/data"],
  onCreateCommand: "echo config-create",
  postCreateCommand: "echo config-post-create",
  postStartCommand: ["echo", "config-start"],
};

const featureA: MetadataEntry = {
  id: A,
  capAdd: ["NET_ADMIN", "SYS_PTRACE"],
  privileged: true,
  mounts: [
    { type: "volume", source: "from-a", target: "/data" },
    { type: "volume", source: "a-cache", target: "/cache" },
  ],
  postCreateCommand: "echo a-post-create",
  entrypoint: "/usr/local/share/a-init.sh",
};
const featureB: MetadataEntry = {
  id: B,
  init: true,
  securityOpt: ["seccomp=unconfined"],
  mounts: ["type=bind,source=/b,target=/cache"],
  onCreateCommand: ["echo", "b-create"],
  postCreateCommand: { one: "echo b1", two: ["echo", "b2"] },
  postAttachCommand: "echo b-attach",
  entrypoint: "/b-init.sh",
};

Deno.test("withFeatureMetadata() without entries gives back the very same object", async () => {
  const r = await resolved(config);
  assert(withFeatureMetadata(r, []) === r);
});

Deno.test("withFeatureMetadata() takes the union of capAdd, Features first", async () => {
  const out = withFeatureMetadata(await resolved(config), [featureA, featureB]);
  assertEquals(out.config.capAdd, ["NET_ADMIN", "SYS_PTRACE"]);
});

Deno.test("withFeatureMetadata() sets securityOpt from a Feature when the config has none", async () => {
  const out = withFeatureMetadata(await resolved(config), [featureA, featureB]);
  assertEquals(out.config.securityOpt, ["seccomp=unconfined"]);
});

const flags: {
  name: string;
  own: Record<string, unknown>;
  entries: MetadataEntry[];
  privileged: boolean | undefined;
  init: boolean | undefined;
}[] = [
  {
    name: "a Feature's true",
    own: {},
    entries: [featureA, featureB],
    privileged: true,
    init: true,
  },
  {
    name: "the config's true",
    own: { privileged: true, init: true },
    entries: [{ id: B }],
    privileged: true,
    init: true,
  },
  {
    name: "a Feature's true over the config's false",
    own: { privileged: false },
    entries: [{ id: A, privileged: true }],
    privileged: true,
    init: undefined,
  },
  {
    name: "no true anywhere as unset",
    own: { privileged: false, init: false },
    entries: [{ id: A, privileged: false, init: false }],
    privileged: undefined,
    init: undefined,
  },
];

for (const { name, own, entries, privileged, init } of flags) {
  Deno.test(`withFeatureMetadata() ORs privileged and init: ${name}`, async () => {
    const out = withFeatureMetadata(await resolved({ image: "x", ...own }), entries);
    assertEquals(out.config.privileged, privileged);
    assertEquals(out.config.init, init);
    if (privileged === undefined) assert(!("privileged" in out.config));
    if (init === undefined) assert(!("init" in out.config));
  });
}

Deno.test("withFeatureMetadata() keeps one mount per target, devcontainer.json's last and winning", async () => {
  const out = withFeatureMetadata(await resolved(config), [featureA, featureB]);
  assertEquals(out.config.mounts, [
    // /cache: B's (later) replaces A's; /data: the config's replaces A's.
    "type=bind,source=/b,target=/cache",
    "type=volume,source=from-config,target=/data",
  ]);
});

Deno.test("withFeatureMetadata() adds a Feature's mounts when the config has none", async () => {
  const out = withFeatureMetadata(await resolved({ image: "x" }), [featureA]);
  assertEquals(out.config.mounts, [
    { type: "volume", source: "from-a", target: "/data" },
    { type: "volume", source: "a-cache", target: "/cache" },
  ]);
});

Deno.test("withFeatureMetadata() runs Features' lifecycle steps before the config's within each hook", async () => {
  const out = withFeatureMetadata(await resolved(config), [featureA, featureB]);
  assertEquals(
    out.lifecycle.steps.map((s) => `${s.hook} ${s.origin}`),
    [
      `onCreateCommand Feature ${B}`,
      "onCreateCommand devcontainer.json",
      `postCreateCommand Feature ${A}`,
      `postCreateCommand Feature ${B}`,
      "postCreateCommand devcontainer.json",
      "postStartCommand devcontainer.json",
      `postAttachCommand Feature ${B}`,
    ],
  );
});

Deno.test("withFeatureMetadata() normalises the Features' commands like the config's", async () => {
  const out = withFeatureMetadata(await resolved(config), [featureA, featureB]);
  const of = (hook: string, origin: string) =>
    out.lifecycle.steps.find((s) => s.hook === hook && s.origin === origin)?.command;
  assertEquals(of("onCreateCommand", `Feature ${B}`), {
    kind: "single",
    form: "exec",
    argv: ["echo", "b-create"],
  });
  assertEquals(of("postCreateCommand", `Feature ${A}`), {
    kind: "single",
    form: "shell",
    argv: ["/bin/sh", "-c", "echo a-post-create"],
  });
  assertEquals(of("postCreateCommand", `Feature ${B}`), {
    kind: "parallel",
    commands: [
      { name: "one", form: "shell", argv: ["/bin/sh", "-c", "echo b1"] },
      { name: "two", form: "exec", argv: ["echo", "b2"] },
    ],
  });
});

Deno.test("withFeatureMetadata() keeps the config's initializeCommand first and waitFor as is", async () => {
  const r = await resolved({
    image: "x",
    initializeCommand: "echo init",
    waitFor: "postCreateCommand",
  });
  const out = withFeatureMetadata(r, [{ id: A, onCreateCommand: "echo a" }]);
  assertEquals(out.lifecycle.steps.map((s) => `${s.hook} ${s.origin}`), [
    "initializeCommand devcontainer.json",
    `onCreateCommand Feature ${A}`,
  ]);
  assertEquals(out.lifecycle.waitFor, "postCreateCommand");
});

Deno.test("withFeatureMetadata() collects the Features' entrypoints in order", async () => {
  const out = withFeatureMetadata(await resolved(config), [featureA, featureB]);
  assertEquals(out.entrypoints, ["/usr/local/share/a-init.sh", "/b-init.sh"]);
});

Deno.test("withFeatureMetadata() sets no entrypoints when no Feature has one", async () => {
  const out = withFeatureMetadata(await resolved(config), [{ id: A, entrypoint: "" }, { id: B }]);
  assert(!("entrypoints" in out));
});

Deno.test("withFeatureMetadata() substitutes the config's variables in Feature entries", async () => {
  const out = withFeatureMetadata(await resolved({ image: "x" }), [{
    id: A,
    postCreateCommand: "echo ${localWorkspaceFolder} ${containerWorkspaceFolder}",
    mounts: ["type=bind,source=${localWorkspaceFolder}/cache,target=/cache"],
  }]);
  assertEquals(out.lifecycle.steps[0]?.command, {
    kind: "single",
    form: "shell",
    argv: ["/bin/sh", "-c", "echo /src/proj /workspaces/proj"],
  });
  assertEquals(out.config.mounts, ["type=bind,source=/src/proj/cache,target=/cache"]);
});

Deno.test("withFeatureMetadata() leaves the rest of the config and the input alone", async () => {
  const r = await resolved(config);
  const before = structuredClone({ config: r.config, steps: r.lifecycle.steps });
  const out = withFeatureMetadata(r, [featureA, featureB]);
  assertEquals(out.config.image, "debian:12");
  assertEquals(out.configFile, r.configFile);
  assertEquals(out.source, r.source);
  assertEquals(out.containerWorkspaceFolder, r.containerWorkspaceFolder);
  assertEquals({ config: r.config, steps: r.lifecycle.steps }, before);
  assert(!("entrypoints" in r));
});

Deno.test("withFeatureMetadata() with an entry that contributes nothing keeps the config's values", async () => {
  const r = await resolved(config);
  const out = withFeatureMetadata(r, [{ id: A }]);
  assertEquals(out.config.capAdd, ["SYS_PTRACE"]);
  assertEquals(out.config.mounts, config.mounts);
  assertEquals(out.lifecycle.steps, r.lifecycle.steps);
  assert(!("securityOpt" in out.config));
});
