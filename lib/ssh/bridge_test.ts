import { assert, assertEquals } from "../../tests/support/assert.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import { acceptedEnv, bridgeTarget, helperArgv } from "./bridge.ts";
import { SESSION_START, sessionArgv, signalOfExitCode } from "./session_scripts.ts";

Deno.test("bridge: only TERM, LANG, COLORTERM and LC_* come from the client's env requests", () => {
  for (const ok of ["TERM", "LANG", "LC_ALL", "LC_CTYPE", "COLORTERM"]) assert(acceptedEnv(ok), ok);
  for (const no of ["PATH", "LD_PRELOAD", "HOME", "GH_TOKEN", "LC_", "lc_all", "TERMINFO"]) {
    assertEquals(acceptedEnv(no), false, no);
  }
  assert(acceptedEnv("EDITOR", ["EDITOR"]), "named by [ssh] accept-env");
  assertEquals(acceptedEnv("EDITORS", ["EDITOR"]), false);
});

Deno.test("bridge: the helper runs from the runtime mounted in the workspace, or not at all", () => {
  assertEquals(helperArgv(["/opt/devaipod/bin/devaipod", "/workspaces/p"]), [
    "/opt/devaipod/bin/devaipod",
    "ssh-helper",
  ]);
  const deno = helperArgv(["/opt/devaipod/bin/deno", "/opt/devaipod/src"]) ?? [];
  assertEquals(deno[0], "/opt/devaipod/bin/deno");
  assertEquals(deno.at(-1), "/opt/devaipod/src/lib/ssh/in_container.ts");
  assert(deno.includes("--no-config") && !deno.includes("-A") && !deno.includes("--allow-all"));
  assertEquals(helperArgv(["/opt/devaipod/bin/deno"]), undefined, "deno without the sources");
  assertEquals(helperArgv([]), undefined);
});

Deno.test("bridge: a session's command stays arguments, never script text", () => {
  const argv = sessionArgv("42-1", ["/bin/sh", "-c", "echo $(id) 'x'"], { rows: 50, cols: 132 });
  assertEquals(argv.slice(0, 3), ["/bin/sh", "-c", SESSION_START]);
  assertEquals(argv.slice(3), [
    "devaipod-session",
    "42-1",
    "50",
    "132",
    "/bin/sh",
    "-c",
    "echo $(id) 'x'",
  ]);
  assertEquals(sessionArgv("1", ["true"]).slice(4), ["1", "", "", "true"]);
  assert(SESSION_START.endsWith('exec "$@"'));
});

Deno.test("bridge: exit codes 128+N name the signal N; others are plain exit codes", () => {
  assertEquals(signalOfExitCode(143), "TERM");
  assertEquals(signalOfExitCode(130), "INT");
  assertEquals(signalOfExitCode(137), "KILL");
  assertEquals(signalOfExitCode(0), undefined);
  assertEquals(signalOfExitCode(128), undefined);
  assertEquals(signalOfExitCode(7), undefined);
  assertEquals(signalOfExitCode(128 + 5), undefined, "TRAP has no SSH name");
});

Deno.test("bridge: a workspace called devaipod-1a2b is entered by that name, not 1a2b", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile(
      new URL("../../tests/fixtures/podman/container-inspect.json", import.meta.url),
    ),
  )[0];
  /** `container inspect` of each workspace's container; any other name is not found. */
  const containers = new Map(["1a2b", "devaipod-1a2b"].map((w) => [
    `devaipod-${w}-workspace`,
    {
      ...fixture,
      Id: `id-${w}`,
      Config: {
        ...fixture.Config,
        Labels: { "io.devaipod.role": "workspace", "io.devaipod.workspace": w },
      },
    },
  ]));
  const podman = new Podman(
    new RecordingRunner((args) => {
      const found = args[0] === "container" && args[1] === "inspect"
        ? containers.get(args.at(-1) ?? "")
        : undefined;
      return found
        ? { stdout: JSON.stringify([found]) }
        : { code: 125, stderr: "no such container" };
    }),
  );
  const cases: [string, string][] = [["devaipod-1a2b", "devaipod-1a2b"], ["1a2b", "1a2b"]];
  for (const [name, workspace] of cases) {
    const target = await bridgeTarget(podman, name);
    assertEquals([target.workspace, target.container], [workspace, `id-${workspace}`], name);
  }
});
