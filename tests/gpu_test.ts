/**
 * GPUs through CDI, against real podman: the test writes a CDI spec of a vendor of its own
 * (`devaipod-RUN.test/gpu`) that maps a harmless device node (the host's /dev/zero, as
 * /dev/devaipod-gpu0) into /var/run/cdi, where podman reads specs, and removes it after. With
 * `[gpu] enabled = true, target = "agent"` the device appears in the agent and not in the
 * workspace; the dry-run shows it; `doctor` reports it. `auto` with no GPU passes nothing and
 * says so.
 */
import { join } from "node:path";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { cleanupByLabel, testRunId } from "./support/cleanup.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();
const CDI_DIR = "/var/run/cdi";

podmanTest(
  "gpu: a CDI GPU of the test's own vendor reaches the agent and not the workspace; the dry-run and doctor show it; auto without a GPU passes none and says so",
  async () => {
    const run = testRunId();
    const ws = `g${run.slice(-8)}`;
    const kind = `devaipod-${run}.test/gpu`;
    const spec = join(CDI_DIR, `devaipod-test-${run}.yaml`);
    const dir = await Deno.makeTempDir({ prefix: "devaipod-gpu-" });
    try {
      await Deno.mkdir(CDI_DIR, { recursive: true });
      await Deno.writeTextFile(
        spec,
        [
          'cdiVersion: "0.3.0"',
          `kind: "${kind}"`,
          "devices:",
          '  - name: "zero"',
          "    containerEdits:",
          "      deviceNodes:",
          '        - path: "/dev/devaipod-gpu0"',
          '          hostPath: "/dev/zero"',
          "",
        ].join("\n"),
      );
      const project = join(dir, "project");
      await Deno.mkdir(project);
      await Deno.writeTextFile(
        join(project, ".devcontainer.json"),
        JSON.stringify({ image: DEV_IMAGE }),
      );
      const config = join(dir, "devaipod.toml");
      await Deno.writeTextFile(config, '[gpu]\nenabled = true\ntarget = "agent"\n');
      const devaipod = (...args: string[]) => runDevaipod(["--config", config, ...args]);

      const doctor = await devaipod("doctor", "--json", "--no-run");
      const gpu = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === "gpu");
      assertEquals(gpu?.status, "ok", doctor.stdout);
      assertMatch(gpu.summary, new RegExp(`${kind.replace(/\./g, "\\.")}=zero \\(${spec}\\)`));

      const dry = await devaipod("up", project, "--name", ws, "--dry-run");
      assertEquals(dry.code, 0, dry.stderr);
      assertMatch(dry.stderr, new RegExp(`gpu: ${kind.replace(/\./g, "\\.")}=zero for the agent`));
      const agentRun = dry.stdout.split("\n").find((l) =>
        l.includes(`--name devaipod-${ws}-agent`)
      );
      assert(agentRun?.includes(`--device ${kind}=zero`), agentRun);
      const workspaceRun = dry.stdout.split("\n").find((l) =>
        l.includes(`--name devaipod-${ws}-workspace`)
      );
      assert(workspaceRun && !workspaceRun.includes("--device"), workspaceRun);

      const up = await devaipod("up", project, "--name", ws);
      assertEquals(up.code, 0, up.stderr);
      const probe = "test -c /dev/devaipod-gpu0 && echo present || echo absent";
      const inAgent = await devaipod("exec", ws, "-c", "agent", "--", "sh", "-c", probe);
      assertEquals(inAgent.stdout.trim(), "present", inAgent.stderr);
      const inWorkspace = await devaipod("exec", ws, "--", "sh", "-c", probe);
      assertEquals(inWorkspace.stdout.trim(), "absent", inWorkspace.stderr);

      // auto, on a host without a GPU (no spec where devaipod looks): nothing, said with -v.
      const empty = join(dir, "no-cdi");
      await Deno.mkdir(empty);
      const auto = await runDevaipod(["-v", "up", project, "--name", `${ws}x`, "--dry-run"], {
        env: { DEVAIPOD_CDI_DIRS: empty },
      });
      assertEquals(auto.code, 0, auto.stderr);
      assertMatch(
        auto.stderr,
        /gpu: auto: no GPU found \(looked for CDI specs in .*no-cdi and for \/dev\/kfd\); none passed/,
      );
      assertEquals(auto.stdout.includes("--device"), false);
      // enabled = true there fails before anything is made, saying where it looked.
      const none = await runDevaipod(["--config", config, "up", project, "--name", `${ws}y`], {
        env: { DEVAIPOD_CDI_DIRS: empty },
      });
      assertEquals(none.code, 10, none.stderr);
      assertMatch(none.stderr, /gpu: enabled, but this host has no GPU/);
    } finally {
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(spec).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
);
