import { assertEquals, assertRejects, assertThrows } from "../../tests/support/assert.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import { podRow } from "../../tests/support/pod_rows.ts";
import {
  bareName,
  checkName,
  findWorkspace,
  findWorkspaceExact,
  generateName,
  noExactWorkspace,
} from "./inventory.ts";

/** A podman whose `pod ps` lists these workspaces. */
const podmanWith = (...workspaces: string[]) =>
  new Podman(
    new RecordingRunner((args) =>
      args[0] === "pod" && args[1] === "ps"
        ? { stdout: JSON.stringify(workspaces.map((w) => podRow(w))) }
        : undefined
    ),
  );

Deno.test("names: the devaipod- prefix is optional", () => {
  assertEquals([bareName("devaipod-x"), bareName("x")], ["x", "x"]);
});

Deno.test("names: generated from the project folder with a short suffix, always valid", () => {
  assertEquals(generateName("/home/u/My Project!", () => "ab12"), "my-project-ab12");
  assertEquals(generateName("/", () => "ab12"), "workspace-ab12");
  assertEquals(checkName(generateName("/x/___", () => "0000")), "workspace-0000");
});

Deno.test("names: invalid names are usage errors", () => {
  for (const bad of ["", "-x", "UPPER", "a_b", "a".repeat(64)]) {
    assertThrows(() => checkName(bad), UsageError);
  }
  assertEquals(checkName("ok-1"), "ok-1");
});

Deno.test("findWorkspace: exact names first, else a unique prefix (for commands that look or enter)", async () => {
  const podman = podmanWith("web-ab12", "web-cd34", "api-ef56", "api");
  assertEquals((await findWorkspace(podman, "api")).Name, "devaipod-api");
  assertEquals((await findWorkspace(podman, "devaipod-api-ef56")).Name, "devaipod-api-ef56");
  assertEquals((await findWorkspace(podman, "web-a")).Name, "devaipod-web-ab12");
  await assertRejects(() => findWorkspace(podman, "web"), UsageError);
  await assertRejects(() => findWorkspace(podman, "nope"), NotFoundError);
});

Deno.test("findWorkspaceExact: only the whole name, with or without devaipod-, never a prefix", async () => {
  const podman = podmanWith("web-ab12", "web-cd34", "api-ef56");
  assertEquals((await findWorkspaceExact(podman, "web-ab12")).Name, "devaipod-web-ab12");
  assertEquals((await findWorkspaceExact(podman, "devaipod-api-ef56")).Name, "devaipod-api-ef56");
  for (const prefix of ["web-a", "api", "devaipod-api"]) {
    const err = await assertRejects(() => findWorkspaceExact(podman, prefix), NotFoundError);
    assertEquals(err.exitCode, 6);
  }
});

Deno.test("findWorkspaceExact: a name that is empty without devaipod- is a usage error, not every workspace", async () => {
  const podman = podmanWith("web-ab12");
  for (const bad of ["", "devaipod-", "Web"]) {
    const err = await assertRejects(() => findWorkspaceExact(podman, bad), UsageError);
    assertEquals(err.exitCode, 2);
  }
});

Deno.test("exact names: a workspace called devaipod-1a2b is found by its name as given, before 1a2b", async () => {
  const podman = podmanWith("1a2b", "devaipod-1a2b");
  const cases: [string, string][] = [
    ["devaipod-1a2b", "devaipod-devaipod-1a2b"],
    ["1a2b", "devaipod-1a2b"],
    ["devaipod-devaipod-1a2b", "devaipod-devaipod-1a2b"],
  ];
  for (const [name, pod] of cases) {
    assertEquals((await findWorkspaceExact(podman, name)).Name, pod, name);
    assertEquals((await findWorkspace(podman, name)).Name, pod, name);
  }
  // Without a workspace of that name, the prefix is optional as before.
  assertEquals(
    (await findWorkspaceExact(podmanWith("1a2b"), "devaipod-1a2b")).Name,
    "devaipod-1a2b",
  );
});

Deno.test("noExactWorkspace: the hint lists what a prefix would have matched, else points to list", () => {
  const pods = ["web-cd34", "web-ab12", "api-ef56"].map((w) => podRow(w));
  const cases: [string, string, string][] = [
    [
      "web",
      "no workspace named exactly 'web'",
      "this command takes the whole name, never a prefix: 'web-ab12', 'web-cd34'",
    ],
    [
      "devaipod-api",
      "no workspace named exactly 'devaipod-api'",
      "this command takes the whole name, never a prefix: 'api-ef56'",
    ],
    ["db", "no workspace named 'db'", "`devaipod list` shows the workspaces"],
  ];
  for (const [name, message, hint] of cases) {
    const err = noExactWorkspace(pods, name);
    assertEquals([err.message, err.hint, err.exitCode], [message, hint, 6]);
  }
});
