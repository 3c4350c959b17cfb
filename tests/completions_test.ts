/** Shell completions: generated scripts pass each shell's syntax check; TAB answers commands and workspace names. */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { cleanupByLabel, TEST_LABEL, testRunId } from "./support/cleanup.ts";
import { CI } from "./support/podman_env.ts";
import { podmanTest } from "./support/podman_env.ts";

async function has(shell: string): Promise<boolean> {
  try {
    return (await new Deno.Command(shell, { args: ["-c", "true"], stdout: "null", stderr: "null" })
      .output()).code === 0;
  } catch {
    return false;
  }
}

for (const shell of ["bash", "zsh", "fish"]) {
  const available = await has(shell);
  if (!available && !CI) {
    console.error(`skipping the ${shell} completion check: ${shell} is not installed`);
  }
  Deno.test({
    name: `completions: the ${shell} script passes \`${shell} -n\``,
    ignore: !available && !CI,
    fn: async () => {
      const r = await runDevaipod(["completion", shell]);
      assertEquals(r.code, 0, r.stderr);
      assert(r.stdout.length > 500);
      const file = await Deno.makeTempFile({ suffix: `.${shell}` });
      await Deno.writeTextFile(file, r.stdout);
      const check = await new Deno.Command(shell, { args: ["-n", file], stderr: "piped" }).output();
      assertEquals(check.code, 0, new TextDecoder().decode(check.stderr));
      await Deno.remove(file);
    },
  });
}

Deno.test("completions: TAB completes commands and their flags", async () => {
  const commands = await runDevaipod(["complete", "--", "st"]);
  assertMatch(commands.stdout, /^status\t/m);
  assertMatch(commands.stdout, /^start\t/m);
  assertMatch(commands.stdout, /^stop\t/m);
  const flags = await runDevaipod(["complete", "--", "up", "--net"]);
  assertMatch(flags.stdout, /--network-isolation/);
});

Deno.test("completions: an unknown shell is a usage error", async () => {
  const r = await runDevaipod(["completion", "tcsh"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /Allowed choices are zsh, bash, fish, powershell/);
});

podmanTest("completions: TAB completes the names of existing workspaces", async () => {
  const run = testRunId();
  const podman = p.Podman.fromEnv();
  const name = `compl-${run}`;
  try {
    await podman.run(
      p.podCreate({
        name: `devaipod-${name}`,
        labels: { "io.devaipod.workspace": name, "io.devaipod.role": "pod", [TEST_LABEL]: run },
      }),
    );
    // Every command that takes a workspace name completes it.
    for (const command of ["status", "ssh", "ssh-config", "diff", "fetch", "rebuild", "delete"]) {
      const r = await runDevaipod(["complete", "--", command, "compl-"]);
      assertMatch(r.stdout, new RegExp(`^${name}\\tworkspace$`, "m"), command);
    }
  } finally {
    await cleanupByLabel(podman, run);
  }
});
