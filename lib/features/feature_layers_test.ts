import { assert, assertEquals, assertMatch, assertNotMatch } from "../../tests/support/assert.ts";
import type { MetadataEntry } from "../devcontainer/metadata.ts";
import type { FeatureManifest } from "./feature_json.ts";
import {
  builtinEnvFile,
  FAILED_MARKER,
  FEATURE_METADATA_KEYS,
  featureMetadataEntry,
  FEATURES_DIR,
  featuresContainerfile,
  installWrapper,
  layerFolder,
  optionsFile,
} from "./feature_layers.ts";
import type { LayerFeature } from "./feature_layers.ts";
import { optionsEnvFile } from "./options.ts";

const everything: FeatureManifest = {
  id: "kitchen-sink",
  version: "2.0.1",
  name: "Kitchen sink",
  description: "Has every key",
  options: { version: { type: "string", default: "1" } },
  dependsOn: { "ghcr.io/o/c/dep:1": {} },
  installsAfter: ["ghcr.io/o/c/other"],
  legacyIds: ["sink"],
  currentId: "kitchen-sink",
  containerEnv: { SINK: "1" },
  mounts: ["type=volume,source=sink,target=/sink", { target: "/t", source: "s", type: "volume" }],
  capAdd: ["SYS_PTRACE"],
  securityOpt: ["seccomp=unconfined"],
  privileged: true,
  init: true,
  entrypoint: "/usr/local/share/sink-init.sh",
  customizations: { vscode: { extensions: ["a.b"] } },
  onCreateCommand: "echo create",
  updateContentCommand: ["echo", "update"],
  postCreateCommand: { one: "echo 1", two: ["echo", "2"] },
  postStartCommand: "echo start",
  postAttachCommand: "echo attach",
  unknownKey: "kept by the schema, not picked",
};

const feature = (
  manifest: FeatureManifest,
  userId = `ghcr.io/o/c/${manifest.id}:1`,
  options: Record<string, string | boolean> = {},
): LayerFeature => ({ userId, manifest, options });

// --- featureMetadataEntry ---------------------------------------------------------------------

Deno.test("featureMetadataEntry() picks only the reference's keys, with the reference as its id", () => {
  const entry = featureMetadataEntry(feature(everything, "ghcr.io/o/c/kitchen-sink:2"));
  assertEquals(entry, {
    id: "ghcr.io/o/c/kitchen-sink:2",
    onCreateCommand: "echo create",
    updateContentCommand: ["echo", "update"],
    postCreateCommand: { one: "echo 1", two: ["echo", "2"] },
    postStartCommand: "echo start",
    postAttachCommand: "echo attach",
    init: true,
    privileged: true,
    capAdd: ["SYS_PTRACE"],
    securityOpt: ["seccomp=unconfined"],
    entrypoint: "/usr/local/share/sink-init.sh",
    mounts: ["type=volume,source=sink,target=/sink", { target: "/t", source: "s", type: "volume" }],
    customizations: { vscode: { extensions: ["a.b"] } },
  });
});

const notPicked = [
  "containerEnv",
  "options",
  "dependsOn",
  "installsAfter",
  "legacyIds",
  "currentId",
  "version",
  "name",
  "description",
  "unknownKey",
];
for (const key of notPicked) {
  Deno.test(`featureMetadataEntry() leaves out the manifest's ${key}`, () => {
    assert(!(key in featureMetadataEntry(feature(everything))));
  });
}

Deno.test("featureMetadataEntry() of a Feature that contributes nothing is its id alone", () => {
  assertEquals(featureMetadataEntry(feature({ id: "bare", containerEnv: { A: "1" } }, "./bare")), {
    id: "./bare",
  });
});

Deno.test("featureMetadataEntry() keeps false and empty values the manifest sets", () => {
  assertEquals(
    featureMetadataEntry(feature({ id: "f", privileged: false, init: false, capAdd: [] }, "f")),
    { id: "f", init: false, privileged: false, capAdd: [] },
  );
});

Deno.test("FEATURE_METADATA_KEYS are the reference's pick", () => {
  assertEquals([...FEATURE_METADATA_KEYS].sort(), [
    "capAdd",
    "customizations",
    "entrypoint",
    "init",
    "mounts",
    "onCreateCommand",
    "postAttachCommand",
    "postCreateCommand",
    "postStartCommand",
    "privileged",
    "securityOpt",
    "updateContentCommand",
  ]);
});

// --- small files --------------------------------------------------------------------------

Deno.test("layerFolder() numbers a Feature's folder by its place and names it by its id", () => {
  assertEquals(layerFolder(0, feature({ id: "node" })), "0-node");
  assertEquals(layerFolder(12, feature({ id: "go" }, "golang")), "12-go");
});

Deno.test("builtinEnvFile() quotes both users", () => {
  assertEquals(
    builtinEnvFile({ containerUser: "root", remoteUser: "it's me" }),
    "_CONTAINER_USER='root'\n_REMOTE_USER='it'\\''s me'\n",
  );
});

Deno.test("optionsFile() is the options' env file", () => {
  const f = feature({ id: "x" }, "x", { "node-version": "18", flag: true });
  assertEquals(optionsFile(f), optionsEnvFile({ "node-version": "18", flag: true }));
  assertEquals(optionsFile(f), "NODE_VERSION='18'\nFLAG='true'\n");
});

// --- featuresContainerfile ----------------------------------------------------------------

const a: FeatureManifest = {
  id: "a",
  containerEnv: { PATH: "/opt/a/bin:${PATH}", QUOTED: 'say "hi" \\ bye' },
};
const b: FeatureManifest = { id: "b" };
const c: FeatureManifest = { id: "c", containerEnv: { C_HOME: "/opt/c" } };

function containerfile(
  patch: Partial<Parameters<typeof featuresContainerfile>[0]> = {},
): string {
  return featuresContainerfile({
    base: "docker.io/library/debian:12",
    features: [feature(a), feature(b), feature(c)],
    containerUser: "root",
    remoteUser: "vscode",
    imageUser: "app",
    metadata: [{ id: "x" }],
    ...patch,
  });
}

Deno.test("featuresContainerfile() starts from the base as root and writes the builtin env", () => {
  const lines = containerfile().split("\n");
  assertEquals(lines[0], "FROM docker.io/library/debian:12");
  assertEquals(lines[1], "USER root");
  assertEquals(
    lines[2],
    `COPY --chown=root:root devcontainer-features.builtin.env ${FEATURES_DIR}/devcontainer-features.builtin.env`,
  );
  assertMatch(lines[3] ?? "", /^RUN echo "_CONTAINER_USER_HOME=.*getent passwd 'root'/);
  assertMatch(lines[4] ?? "", /echo "_REMOTE_USER_HOME=.*getent passwd 'vscode'/);
});

Deno.test("featuresContainerfile()'s first RUN appends the users' home folders to the builtin env", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-builtin-" });
  try {
    const text = containerfile({ containerUser: "root", remoteUser: "no-such-user-here" });
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith("RUN echo"));
    // The RUN and its continuation line, as the build's shell gets them.
    const script = `${lines[start]?.slice("RUN ".length).replace(/\\$/, "")}\n${lines[start + 1]}`
      .replaceAll(FEATURES_DIR, root);
    const out = await new Deno.Command("sh", { args: ["-c", script], stderr: "piped" }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(
      await Deno.readTextFile(`${root}/devcontainer-features.builtin.env`),
      "_CONTAINER_USER_HOME='/root'\n_REMOTE_USER_HOME=''\n",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("featuresContainerfile() gives each Feature its ENV, then COPY, then RUN, in order", () => {
  const lines = containerfile().split("\n");
  const at = (prefix: string) => {
    const i = lines.findIndex((l) => l.startsWith(prefix));
    assert(i !== -1, `no line starts with ${prefix}`);
    return i;
  };
  const envA = at("ENV PATH=");
  const copyA = at(`COPY --chown=root:root features/0-a ${FEATURES_DIR}/0-a`);
  const runA = at(
    `RUN chmod -R 0755 ${FEATURES_DIR}/0-a && cd ${FEATURES_DIR}/0-a && ./devaipod-install.sh`,
  );
  const copyB = at(`COPY --chown=root:root features/1-b ${FEATURES_DIR}/1-b`);
  const runB = at(`RUN chmod -R 0755 ${FEATURES_DIR}/1-b`);
  const envC = at("ENV C_HOME=");
  const copyC = at("COPY --chown=root:root features/2-c");
  const runC = at(`RUN chmod -R 0755 ${FEATURES_DIR}/2-c`);
  const user = at("USER app");
  const label = at("LABEL ");
  assertEquals(
    [envA, copyA, runA, copyB, runB, envC, copyC, runC, user, label],
    [
      envA,
      envA + 1,
      envA + 2,
      envA + 4,
      envA + 5,
      envA + 7,
      envA + 8,
      envA + 9,
      envA + 11,
      envA + 12,
    ],
  );
  // A Feature without containerEnv has no ENV line.
  assertEquals(lines.filter((l) => l.startsWith("ENV ")).length, 2);
});

Deno.test("featuresContainerfile() quotes ENV values and keeps ${VAR} for the build to expand", () => {
  const env = containerfile().split("\n").find((l) => l.startsWith("ENV PATH="));
  assertEquals(env, 'ENV PATH="/opt/a/bin:${PATH}" QUOTED="say \\"hi\\" \\\\ bye"');
});

Deno.test("featuresContainerfile() restores the image's user, or root when it has none", () => {
  assertMatch(containerfile(), /\nUSER app\nLABEL /);
  assertMatch(containerfile({ imageUser: "" }), /\nUSER root\nLABEL /);
});

Deno.test("featuresContainerfile() without Features still labels the image", () => {
  const text = containerfile({ features: [] });
  assertNotMatch(text, /COPY --chown=root:root features\//);
  assertMatch(text, /\nUSER app\nLABEL devcontainer\.metadata="/);
  assert(text.endsWith("\n"));
});

/**
 * Reads `LABEL devcontainer.metadata="…"` the way a Dockerfile does: inside double quotes `\`
 * escapes `\`, `"` and `$`; an unescaped `$` would be substituted and an unescaped `"` would
 * end the word, so both fail here.
 */
function labelValue(containerfileText: string): string {
  const line = containerfileText.split("\n").find((l) => l.startsWith("LABEL "));
  assert(line, "no LABEL line");
  const prefix = 'LABEL devcontainer.metadata="';
  assert(line.startsWith(prefix), line);
  let out = "";
  let i = prefix.length;
  for (; i < line.length; i++) {
    const ch = line[i];
    if (ch === "\\" && i + 1 < line.length && '\\"$'.includes(line[i + 1] as string)) {
      out += line[++i];
    } else if (ch === "$") {
      throw new Error(`unescaped $ at ${i}: the build would substitute it`);
    } else if (ch === '"') {
      break;
    } else {
      out += ch;
    }
  }
  assertEquals(i, line.length - 1, "the closing quote ends the line");
  return out;
}

const labelCases: { name: string; metadata: MetadataEntry[] }[] = [
  { name: "plain entries", metadata: [{ id: "a" }, { remoteUser: "vscode" }] },
  { name: "a dollar variable", metadata: [{ postCreateCommand: "echo $HOME ${PATH} $$" }] },
  { name: "double quotes", metadata: [{ postStartCommand: 'echo "hi"' }] },
  { name: "backslashes", metadata: [{ containerEnv: { WIN: "C:\\Users\\x", ESC: '\\$x \\"' } }] },
  { name: "a newline and a tab", metadata: [{ postCreateCommand: "a\nb\tc" }] },
  { name: "single quotes", metadata: [{ postCreateCommand: "echo 'x'" }] },
  { name: "unicode", metadata: [{ name: "café ☕" }] },
  { name: "no entries", metadata: [] },
];

for (const { name, metadata } of labelCases) {
  Deno.test(`featuresContainerfile() escapes a LABEL with ${name} so that its JSON round-trips`, () => {
    const text = containerfile({ metadata });
    assertEquals(JSON.parse(labelValue(text)), metadata);
    assert(!labelValue(text).includes("\n"), "the label is one line");
  });
}

// --- installWrapper, run for real ---------------------------------------------------------

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Lays out a Feature as the build does (FEATURES_DIR/0-ID with the wrapper, its options and
 * `install`, the builtin env one folder up) in a temporary folder and runs the wrapper with sh.
 */
async function runWrapper(f: LayerFeature, install: string): Promise<Run> {
  const root = await Deno.makeTempDir({ prefix: "devaipod-wrapper-" });
  try {
    const dir = `${root}/${layerFolder(0, f)}`;
    await Deno.mkdir(dir);
    await Deno.writeTextFile(
      `${root}/devcontainer-features.builtin.env`,
      builtinEnvFile({ containerUser: "root", remoteUser: "dev user" }),
    );
    await Deno.writeTextFile(`${dir}/devcontainer-features.env`, optionsFile(f));
    await Deno.writeTextFile(`${dir}/install.sh`, install);
    await Deno.writeTextFile(`${dir}/devaipod-install.sh`, installWrapper(f));
    const out = await new Deno.Command("sh", {
      args: ["./devaipod-install.sh"],
      cwd: dir,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const tool: FeatureManifest = {
  id: "tool",
  name: "The tool",
  version: "1.2.3",
  options: { version: { type: "string" }, "install-extras": { type: "boolean" } },
};

Deno.test("installWrapper() reports a failing install.sh with the marker, the Feature and its exit code", async () => {
  const run = await runWrapper(
    feature(tool, "ghcr.io/o/c/tool:1"),
    "#!/bin/sh\necho 'partial output'\necho 'it broke' >&2\nexit 3\n",
  );
  assertEquals(run.code, 3);
  assertMatch(run.stdout, /Feature The tool 1\.2\.3 \(ghcr\.io\/o\/c\/tool:1\)/);
  assertMatch(run.stdout, /partial output/);
  assertMatch(run.stderr, /it broke/);
  assert(run.stderr.includes(`${FAILED_MARKER} ghcr.io/o/c/tool:1`), run.stderr);
  assertMatch(run.stderr, /\(exit 3\)/);
});

Deno.test("installWrapper() names a Feature with quotes and $ in its reference literally", async () => {
  const userId = `./it's-$HOME-"x"`;
  const run = await runWrapper(feature(tool, userId), "#!/bin/sh\nexit 7\n");
  assertEquals(run.code, 7);
  assert(run.stderr.includes(`${FAILED_MARKER} ${userId}`), run.stderr);
  assert(run.stdout.includes(`(${userId})`), run.stdout);
});

Deno.test("installWrapper() gives a succeeding install.sh its options and the builtins, and prints no marker", async () => {
  const f = feature(tool, "ghcr.io/o/c/tool:1", {
    version: "it's $HOME",
    "install-extras": true,
  });
  const run = await runWrapper(
    f,
    [
      "#!/bin/sh",
      // A child process sees only exported variables: `set -a` must have exported them.
      `sh -c 'printf "%s|%s|%s|%s\\n" "$VERSION" "$INSTALL_EXTRAS" "$_REMOTE_USER" "$_CONTAINER_USER"'`,
      "",
    ].join("\n"),
  );
  assertEquals(run.stderr, "");
  assertEquals(run.code, 0);
  assertEquals(run.stdout.split("\n").slice(1), ["it's $HOME|true|dev user|root", ""]);
  assertNotMatch(run.stdout + run.stderr, new RegExp(FAILED_MARKER));
});

Deno.test("installWrapper() falls back to the id when the manifest has no name", async () => {
  const run = await runWrapper(feature({ id: "plain" }, "./plain"), "#!/bin/sh\n");
  assertEquals(run.code, 0);
  assertMatch(run.stdout, /^Feature plain +\(\.\/plain\)\n$/);
});

Deno.test("installWrapper() stops when the options file cannot be sourced", async () => {
  const f = feature(tool, "ghcr.io/o/c/tool:1");
  const root = await Deno.makeTempDir({ prefix: "devaipod-wrapper-" });
  try {
    // No builtin env one folder up: `.` fails, and install.sh must not run.
    const dir = `${root}/0-tool`;
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/devcontainer-features.env`, "");
    await Deno.writeTextFile(`${dir}/install.sh`, "#!/bin/sh\necho RAN\n");
    await Deno.writeTextFile(`${dir}/devaipod-install.sh`, installWrapper(f));
    const out = await new Deno.Command("sh", {
      args: ["./devaipod-install.sh"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.code !== 0);
    assertNotMatch(new TextDecoder().decode(out.stdout), /RAN/);
    assert(new TextDecoder().decode(out.stderr).includes(`${FAILED_MARKER} ghcr.io/o/c/tool:1`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
