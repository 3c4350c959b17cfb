import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import { ConfigError, ExitCode } from "../errors.ts";
import { FEATURE_FILE, parseFeatureManifest } from "./feature_json.ts";

const FILE = `ghcr.io/o/c/node:1 ${FEATURE_FILE}`;
const parse = (text: string) => parseFeatureManifest(text, FILE);

Deno.test("parseFeatureManifest() reads a full manifest", () => {
  const manifest = {
    id: "node",
    version: "1.6.2",
    name: "Node.js",
    description: "Installs Node.js",
    options: {
      version: { type: "string", default: "lts", proposals: ["lts", "18"] },
      channel: { type: "string", enum: ["stable", "beta"], default: "stable" },
      nodeGypDependencies: { type: "boolean", default: true, description: "gyp" },
    },
    dependsOn: { "ghcr.io/o/c/common:1": { user: "vscode", flag: true }, "ghcr.io/o/c/x:1": "2" },
    installsAfter: ["ghcr.io/devcontainers/features/common-utils"],
    legacyIds: ["nodejs"],
    currentId: "node",
    containerEnv: { NVM_DIR: "/usr/local/share/nvm", PATH: "${NVM_DIR}/current/bin:${PATH}" },
    mounts: ["type=volume,source=x,target=/x", { type: "volume", source: "y", target: "/y" }],
    capAdd: ["SYS_PTRACE"],
    securityOpt: ["seccomp=unconfined"],
    privileged: false,
    init: true,
    entrypoint: "/usr/local/share/node-init.sh",
    customizations: { vscode: { extensions: ["dbaeumer.vscode-eslint"] } },
    onCreateCommand: "echo create",
    updateContentCommand: ["echo", "update"],
    postCreateCommand: { a: "echo a", b: ["echo", "b"] },
    postStartCommand: "echo start",
    postAttachCommand: "echo attach",
  };
  // JSON round trip: the parser's nested objects have no prototype.
  assertEquals(JSON.parse(JSON.stringify(parse(JSON.stringify(manifest)))), manifest);
});

Deno.test("parseFeatureManifest() reads comments and trailing commas, and keeps unknown keys", () => {
  const text = `{
    // The id
    "id": "tool", /* a block comment */
    "keywords": ["x"],
    "options": {},
  }`;
  assertEquals(parse(text), { id: "tool", keywords: ["x"], options: {} });
});

const bad: { name: string; text: string; message: string }[] = [
  {
    name: "a missing id at the top",
    text: `{\n  "version": "1"\n}`,
    message: `${FILE}:1:1: id: expected string, received undefined`,
  },
  {
    name: "an id with a dot",
    text: `{\n  "id": "no.de"\n}`,
    message: `${FILE}:2:9: id: expected letters, digits, '-' and '_'`,
  },
  {
    name: "an option of an unknown type",
    text: `{\n  "id": "x",\n  "options": {\n    "v": { "type": "number" }\n  }\n}`,
    message: `${FILE}:4:20: options.v.type: expected an option with "type": "boolean" or "string"`,
  },
  {
    name: "a boolean option with a string default",
    text: `{\n  "id": "x",\n  "options": { "b": { "type": "boolean", "default": "yes" } }\n}`,
    message: `${FILE}:3:53: options.b.default: expected boolean, received string`,
  },
  {
    name: "a number in containerEnv",
    text: `{ "id": "x",\n  "containerEnv": {\n    "N": 1\n  } }`,
    message: `${FILE}:3:10: containerEnv.N: expected string, received number`,
  },
  {
    name: "a lifecycle command of the wrong shape",
    text: `{ "id": "x",\n  "postCreateCommand": 42 }`,
    message:
      `${FILE}:2:24: postCreateCommand: expected a string, an array of strings, or an object of named commands`,
  },
  {
    name: "a mount without a target",
    text: `{ "id": "x",\n  "mounts": [ { "source": "s" } ] }`,
    message: `${FILE}:2:15: mounts[0]: `,
  },
  {
    name: "a key that is not an identifier",
    text: `{ "id": "x",\n  "dependsOn": { "ghcr.io/o/c/y:1": 5 } }`,
    message: `${FILE}:2:37: dependsOn["ghcr.io/o/c/y:1"]: `,
  },
  {
    name: "an array instead of an object",
    text: `[\n  { "id": "x" }\n]`,
    message: `${FILE}:1:1: expected object, received array`,
  },
];

for (const { name, text, message } of bad) {
  Deno.test(`parseFeatureManifest() reports ${name} at file:line:col`, () => {
    const err = assertThrows(() => parse(text), ConfigError);
    assert(err.message.startsWith(message), `${err.message}\n  does not start with\n${message}`);
    assertEquals(err.exitCode, ExitCode.config);
    assertEquals(err.location?.file, FILE);
  });
}

Deno.test("parseFeatureManifest() reports every problem, each at its file:line:col", () => {
  const text = `{\n  "id": "a b",\n  "init": "yes",\n  "capAdd": "SYS_PTRACE"\n}`;
  const err = assertThrows(() => parse(text), ConfigError);
  const [head, ...lines] = err.message.split("\n");
  assertEquals(head, `3 problems in ${FILE}:`);
  assertEquals(lines.sort(), [
    `  ${FILE}:2:9: id: expected letters, digits, '-' and '_'`,
    `  ${FILE}:3:11: init: expected boolean, received string`,
    `  ${FILE}:4:13: capAdd: expected array, received string`,
  ]);
  assertEquals(
    err.problems.map((p) => `${p.location?.line}:${p.location?.column}`).sort(),
    ["2:9", "3:11", "4:13"],
  );
});

const syntax: { name: string; text: string; at: string }[] = [
  { name: "a missing comma", text: `{\n  "id": "x"\n  "name": "y"\n}`, at: "3:3" },
  { name: "an unterminated string", text: `{\n  "id": "x`, at: "2:9" },
  { name: "an empty file", text: "", at: "1:1" },
];

for (const { name, text, at } of syntax) {
  Deno.test(`parseFeatureManifest() reports ${name} at file:line:col`, () => {
    const err = assertThrows(() => parse(text), ConfigError);
    assertMatch(err.message, new RegExp(`^${FILE.replaceAll(".", "\\.")}:${at}: `));
    assertEquals(err.location?.file, FILE);
  });
}
