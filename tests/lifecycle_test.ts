/**
 * Lifecycle hooks for real: container hooks through `podman exec` in a running container,
 * `initializeCommand` on the host through /bin/sh, with the engine's string, array and object
 * semantics and its failure rules.
 */
import { containerExecutor, hostExecutor } from "../lib/devcontainer/executors.ts";
import { HookFailedError, lifecycleSteps, runSteps } from "../lib/devcontainer/lifecycle.ts";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "./support/assert.ts";
import { cleanupByLabel, TEST_LABEL, testRunId } from "./support/cleanup.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();

podmanTest(
  "lifecycle: hooks run in the container with string, array and parallel forms; a failure stops the rest",
  async () => {
    const run = testRunId();
    const name = `devaipod-test-${run}`;
    try {
      await podman.run(
        p.containerRun({
          name,
          image: DEV_IMAGE,
          labels: { [TEST_LABEL]: run },
          init: true,
          command: ["sleep", "infinity"],
        }),
      );
      const steps = lifecycleSteps([{
        origin: "devcontainer.json",
        hooks: {
          onCreateCommand: "echo created > /tmp/created && echo on-create ran as $(id -un)",
          // An exec-form array: `$HOME;` is one argument, not a shell expression.
          updateContentCommand: ["printf", "%s\\n", "$HOME; echo not-run"],
          postCreateCommand: {
            slow: "sleep 0.5; date +%s%N > /tmp/slow; echo slow done",
            fast: ["sh", "-c", "date +%s%N > /tmp/fast; echo fast done"],
          },
          postStartCommand: "echo about to fail; exit 7",
          postAttachCommand: "touch /tmp/attached",
        },
      }]);
      const output: string[] = [];
      const err = await assertRejects(
        () =>
          runSteps(
            steps,
            containerExecutor(podman, name, { user: "dev", workdir: "/tmp" }),
            (t) => output.push(t),
          ),
        HookFailedError,
      );
      assertEquals([err.hook, err.code, err.command], [
        "postStartCommand",
        7,
        "echo about to fail; exit 7",
      ]);
      assertEquals(output[0], "on-create ran as dev\n");
      assertEquals(output[1], "$HOME; echo not-run\n");
      // Parallel: both ran, each output block prefixed with its name, the fast one finished first.
      assertEquals(output[2], "[slow] slow done\n");
      assertEquals(output[3], "[fast] fast done\n");
      const times = await podman.run(
        p.containerExec({ container: name, command: ["cat", "/tmp/fast", "/tmp/slow"] }),
      );
      const [fast, slow] = times.stdout.trim().split("\n").map(BigInt);
      assert(
        fast !== undefined && slow !== undefined && fast < slow,
        "the fast command did not wait for the slow one",
      );
      assertEquals(output[4], "about to fail\n");
      // The hook after the failure never ran.
      const attached = await podman.run(
        p.containerExec({ container: name, command: ["test", "-e", "/tmp/attached"] }),
      );
      assertEquals(attached.code, 1);
    } finally {
      await cleanupByLabel(podman, run);
    }
  },
);

Deno.test("lifecycle: initializeCommand runs on the host, in the project folder, through /bin/sh", async () => {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-init-" });
  try {
    const steps = lifecycleSteps([{
      origin: "devcontainer.json",
      hooks: {
        initializeCommand: {
          shell: "pwd > from-shell.txt",
          exec: ["sh", "-c", 'printf "%s" "$0" > from-exec.txt', "a b; c"],
        },
      },
    }]);
    await runSteps(steps, hostExecutor(dir));
    assertEquals(
      (await Deno.readTextFile(`${dir}/from-shell.txt`)).trim(),
      await Deno.realPath(dir),
    );
    assertEquals(await Deno.readTextFile(`${dir}/from-exec.txt`), "a b; c");
    const missing = lifecycleSteps([{
      origin: "x",
      hooks: { initializeCommand: ["no-such-program-devaipod"] },
    }]);
    const err = await assertRejects(() => runSteps(missing, hostExecutor(dir)), HookFailedError);
    assertEquals(err.code, 127);
    assertMatch(err.output, /not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
