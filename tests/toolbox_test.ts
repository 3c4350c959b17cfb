/**
 * Inside a toolbox every podman call goes to the host's podman through `flatpak-spawn --host`.
 * The toolbox is faked: a marker file (DEVAIPOD_TOOLBOX_MARKER) and a `flatpak-spawn` on PATH
 * that records its argv and then runs the rest (the real podman).
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { binDir, runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";

podmanTest("toolbox: podman runs on the host through flatpak-spawn --host", async () => {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-toolbox-" });
  const marker = `${dir}/.toolboxenv`;
  await Deno.writeTextFile(marker, "");
  const log = `${dir}/argv.log`;
  const bin = await binDir({
    "flatpak-spawn":
      `#!/bin/sh\necho "$*" >> ${log}\n[ "$1" = "--host" ] || exit 99\nshift\nexec "$@"\n`,
  });
  try {
    const r = await runDevaipod(["doctor", "--json", "--no-run"], {
      env: { DEVAIPOD_TOOLBOX_MARKER: marker, PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
    assertEquals(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assertMatch(
      report.checks.find((c: { id: string }) => c.id === "toolbox").summary,
      /inside a toolbox/,
    );
    assertMatch(report.checks[0].summary, /\(flatpak-spawn --host podman\)$/);
    const calls = (await Deno.readTextFile(log)).trim().split("\n");
    assertEquals(calls, ["--host podman info --format json"]);

    const list = await runDevaipod(["list", "--json"], {
      env: { DEVAIPOD_TOOLBOX_MARKER: marker, PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
    assertEquals(list.code, 0, list.stderr);
    const last = (await Deno.readTextFile(log)).trim().split("\n").at(-1) ?? "";
    assert(last.startsWith("--host podman container ps --all --format json"), last);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});
