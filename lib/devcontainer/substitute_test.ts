import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import {
  envListToObject,
  substituteContainerEnv,
  substituteDevcontainerId,
  substituteLocal,
  VariableError,
} from "./substitute.ts";
import type { SubstitutionContext } from "./substitute.ts";

/** Substituted objects have no prototype; compare their JSON. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

const ctx: SubstitutionContext = {
  platform: "linux",
  env: { HOME: "/home/u", SET: "value", COLON: "a:b", EMPTY: "" },
  localWorkspaceFolder: "/home/u/src/my-project",
  containerWorkspaceFolder: "/workspaces/my-project",
};

const table: [string, string, string][] = [
  ["localEnv set", "${localEnv:SET}", "value"],
  ["env is an alias of localEnv", "${env:SET}", "value"],
  ["unset is empty", "${localEnv:NOPE}", ""],
  ["set but empty stays empty (no default)", "${localEnv:EMPTY:default}", ""],
  ["default when unset", "${localEnv:NOPE:fallback}", "fallback"],
  ["empty default", "${localEnv:NOPE:}", ""],
  ["a default is cut at its first colon", "${localEnv:NOPE:http://x}", "http"],
  ["more colons: still the first part", "${localEnv:NOPE:a:b:c}", "a"],
  ["a value with colons is kept whole", "${localEnv:COLON}", "a:b"],
  ["a set variable ignores the default", "${localEnv:SET:other}", "value"],
  ["an empty name is an unset variable", "${localEnv:}", ""],
  ["several in one string", "${localEnv:SET}-${env:HOME}/x", "value-/home/u/x"],
  ["localWorkspaceFolder", "${localWorkspaceFolder}", "/home/u/src/my-project"],
  ["localWorkspaceFolderBasename", "${localWorkspaceFolderBasename}", "my-project"],
  ["containerWorkspaceFolder", "${containerWorkspaceFolder}/bin", "/workspaces/my-project/bin"],
  ["containerWorkspaceFolderBasename", "${containerWorkspaceFolderBasename}", "my-project"],
  ["devcontainerId waits for a container", "${devcontainerId}", "${devcontainerId}"],
  ["containerEnv waits for a container", "${containerEnv:PATH}", "${containerEnv:PATH}"],
  ["unknown names stay verbatim", "${unknown}", "${unknown}"],
  ["unknown names with arguments stay verbatim", "${foo:bar}", "${foo:bar}"],
  ["empty braces stay", "${}", "${}"],
  ["a lone dollar stays", "$HOME ${ $}", "$HOME ${ $}"],
  [
    "a variable ends at the first brace (the default is `${localEnv`)",
    "${localEnv:NOPE:${localEnv:SET}}",
    "${localEnv}",
  ],
  ["names are case-sensitive on Linux", "${localEnv:home}", ""],
];

for (const [name, input, expected] of table) {
  Deno.test(`substitute: ${name}`, () => {
    assertEquals(substituteLocal(input, ctx), expected);
  });
}

Deno.test("substitute: a variable without a name is an error that names it and its path", () => {
  const err = assertThrows(() => substituteLocal({ a: ["x", "${localEnv}"] }, ctx), VariableError);
  assertEquals(err.path, ["a", 1]);
  assertEquals(
    err.message,
    "'${localEnv}' can not be resolved because no environment variable name is given",
  );
  assertThrows(() => substituteLocal("${env}", ctx), /can not be resolved/);
  assertThrows(() => substituteContainerEnv("${containerEnv}", {}), VariableError);
});

Deno.test("substitute: walks arrays and objects, never keys, and leaves other values alone", () => {
  const input = {
    "${localEnv:SET}": ["${localEnv:SET}", 1, true, null, { deep: "${localEnv:SET}" }],
  };
  assertEquals(plain(substituteLocal(input, ctx)), {
    "${localEnv:SET}": ["value", 1, true, null, { deep: "value" }],
  });
});

Deno.test("substitute: without folders their variables stay verbatim", () => {
  const bare: SubstitutionContext = { platform: "linux", env: {} };
  assertEquals(
    substituteLocal("${localWorkspaceFolder} ${containerWorkspaceFolderBasename}", bare),
    "${localWorkspaceFolder} ${containerWorkspaceFolderBasename}",
  );
});

Deno.test("substitute: the container folder's own variables resolve first", () => {
  const c = { ...ctx, containerWorkspaceFolder: "/src/${localWorkspaceFolderBasename}" };
  assertEquals(
    substituteLocal("${containerWorkspaceFolder}|${containerWorkspaceFolderBasename}", c),
    "/src/my-project|my-project",
  );
});

Deno.test("substitute: on Windows names are case-insensitive and basenames use backslashes", () => {
  const win: SubstitutionContext = {
    platform: "windows",
    env: { Path: "C:\\bin" },
    localWorkspaceFolder: "C:\\src\\proj",
  };
  assertEquals(
    substituteLocal("${localEnv:PATH}|${localEnv:path}|${localWorkspaceFolderBasename}", win),
    "C:\\bin|C:\\bin|proj",
  );
});

Deno.test("substitute: devcontainerId and containerEnv resolve once known", () => {
  assertEquals(
    plain(substituteDevcontainerId({ m: "vol-${devcontainerId}", o: "${localEnv:X}" }, "abc")),
    { m: "vol-abc", o: "${localEnv:X}" },
  );
  const env = { PATH: "/usr/bin", EMPTY: "" };
  assertEquals(substituteContainerEnv("${containerEnv:PATH}:/x", env), "/usr/bin:/x");
  assertEquals(
    substituteContainerEnv(
      "${containerEnv:NOPE:d}|${containerEnv:NOPE}|${containerEnv:EMPTY:d}",
      env,
    ),
    "d||",
  );
  assertEquals(substituteContainerEnv("${localEnv:HOME}", env), "${localEnv:HOME}");
});

Deno.test("substitute: podman's env list becomes an object; values keep their '='", () => {
  assertEquals(envListToObject(["A=1", "B=x=y", "EMPTY=", "junk"]), {
    A: "1",
    B: "x=y",
    EMPTY: "",
  });
});

Deno.test('substitute: a "__proto__" key stays a plain key', () => {
  const out = substituteLocal(
    JSON.parse('{"__proto__": {"polluted": "${localEnv:SET}"}}'),
    ctx,
  ) as Record<string, unknown>;
  assertEquals(Object.keys(out), ["__proto__"]);
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assertEquals(JSON.stringify(out), '{"__proto__":{"polluted":"value"}}');
});
