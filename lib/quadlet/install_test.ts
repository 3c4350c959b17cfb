import { join } from "node:path";
import { assertEquals } from "../../tests/support/assert.ts";
import {
  installedUnits,
  installedWorkspaces,
  installUnits,
  quadletHost,
  removeUnitFiles,
} from "./install.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

Deno.test("quadletHost: root's units are the system's, anyone else's their own manager's", () => {
  assertEquals(quadletHost(env({ HOME: "/root" }), 0), {
    scope: "system",
    unitDir: "/etc/containers/systemd",
  });
  assertEquals(quadletHost(env({ HOME: "/home/u" }), 1000), {
    scope: "user",
    unitDir: "/home/u/.config/containers/systemd",
  });
  assertEquals(
    quadletHost(env({ HOME: "/home/u", XDG_CONFIG_HOME: "/cfg" }), 1000).unitDir,
    "/cfg/containers/systemd",
  );
  // A relative XDG_CONFIG_HOME is invalid and ignored.
  assertEquals(
    quadletHost(env({ HOME: "/home/u", XDG_CONFIG_HOME: "cfg" }), 1000).unitDir,
    "/home/u/.config/containers/systemd",
  );
  assertEquals(quadletHost(env({ DEVAIPOD_QUADLET_DIR: "/t/units" }), 1000), {
    scope: "user",
    unitDir: "/t/units",
  });
});

Deno.test("installed units: found by their workspace label, other workspaces' and other files left out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await installedUnits(join(dir, "missing"), "w"), []);
    await installUnits(dir, [
      { file: "devaipod-w.pod", text: "[Pod]\nPodmanArgs=--label=io.devaipod.workspace=w\n" },
      { file: "devaipod-w-agent.container", text: "[Container]\nLabel=io.devaipod.workspace=w\n" },
      { file: "devaipod-w2.pod", text: "[Pod]\nPodmanArgs=--label=io.devaipod.workspace=w2\n" },
      { file: "mine.container", text: "[Container]\nImage=x\n" },
      { file: "notes.txt", text: "Label=io.devaipod.workspace=w\n" },
    ]);
    assertEquals(await installedUnits(dir, "w"), [
      join(dir, "devaipod-w-agent.container"),
      join(dir, "devaipod-w.pod"),
    ]);
    assertEquals(await installedWorkspaces(dir), [
      { workspace: "w", podFile: join(dir, "devaipod-w.pod") },
      { workspace: "w2", podFile: join(dir, "devaipod-w2.pod") },
    ]);
    // No temporary file is left behind.
    assertEquals([...Deno.readDirSync(dir)].some((e) => e.name.includes("devaipod-tmp")), false);
    await removeUnitFiles(await installedUnits(dir, "w"));
    await removeUnitFiles([join(dir, "gone.pod")]);
    assertEquals(await installedUnits(dir, "w"), []);
    assertEquals((await installedWorkspaces(dir)).map((w) => w.workspace), ["w2"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
