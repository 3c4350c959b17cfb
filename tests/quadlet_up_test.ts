/**
 * `up --backend quadlet` on a real systemd: a container of the `systemd` test image boots
 * systemd as PID 1 with Debian trixie's podman 5 (Quadlet) inside, and devaipod runs there, from
 * this checkout, as root (so its units go to /etc/containers/systemd). The test images come from
 * the host's image store (read-only), the agent binary from the host's cache. Then the workspace
 * goes through its life by systemctl: list, status, verify, stop, start, logs from the journal,
 * delete. And on this host, where systemd is not PID 1, `up --backend quadlet` says so.
 */
import { dirname, join } from "node:path";
import { devaipodDirs } from "../lib/paths.ts";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { denoDir, denoProgram, devaipodPermissionFlags, runDevaipod } from "./support/cli.ts";
import { CI, podmanTest } from "./support/podman_env.ts";
import { run } from "./support/process.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { agentBinaryCached, startSystemdBox } from "./support/systemd_box.ts";
import type { SystemdBox } from "./support/systemd_box.ts";
import { project } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();
const ROOT = dirname(dirname(new URL(import.meta.url).pathname));
const WS = "quadlet-e2e";

podmanTest(
  "quadlet backend: up --backend quadlet on a real systemd runs the workspace from units; list, status, verify, stop, start, logs and delete act through systemctl; the volumes stay",
  async () => {
    const cache = devaipodDirs(Deno.env).cache;
    await agentBinaryCached(cache);
    const dir = await project({ image: DEV_IMAGE, postCreateCommand: "echo made > /tmp/made" });
    const deno = await Deno.realPath(denoProgram());
    const denoCache = denoDir();
    await Deno.mkdir(denoCache, { recursive: true });
    let box: SystemdBox | undefined;
    try {
      box = await startSystemdBox("quadlet", [
        `${deno}:/usr/local/bin/deno:ro`,
        `${ROOT}:${ROOT}:ro`,
        `${denoCache}:${denoCache}`,
        `${cache}:${cache}:ro`,
        `${dir}:${dir}`,
      ]);
      const inBox = box.exec;
      const devaipod = (...args: string[]) =>
        inBox([
          "deno",
          "run",
          "--quiet",
          ...devaipodPermissionFlags(),
          join(ROOT, "main.ts"),
          ...args,
        ], {
          workdir: ROOT,
          env: { NO_COLOR: "1", DENO_DIR: denoCache, XDG_CACHE_HOME: dirname(cache) },
        });

      const up = await devaipod("up", dir, "--backend", "quadlet", "--name", WS, "--json");
      assertEquals(up.code, 0, up.stderr);
      assertEquals(JSON.parse(up.stdout).workspace, WS);
      const units = await inBox(["ls", "/etc/containers/systemd"]);
      assertEquals(units.stdout.trim().split("\n").filter((f) => f.includes(WS)).length, 9);
      const active = (unit: string) => inBox(["systemctl", "is-active", unit]);
      assertEquals((await active(`devaipod-${WS}-pod.service`)).stdout.trim(), "active");
      // The project's hook ran in the workspace systemd started.
      const made = await devaipod("exec", WS, "--", "cat", "/tmp/made");
      assertEquals(made.stdout.trim(), "made", made.stderr);

      const listed = JSON.parse((await devaipod("list", "--json")).stdout);
      assertEquals(
        listed.map((r: { name: string; state: string; backend: string }) => [
          r.name,
          r.state,
          r.backend,
        ]),
        [[WS, "running", "quadlet"]],
      );
      const status = JSON.parse((await devaipod("status", WS, "--json")).stdout);
      assertEquals([status.backend, status.quadlet.state], ["quadlet", "active"]);

      // The same isolation as the podman backend: every probe of verify holds.
      const verify = await devaipod("verify", WS);
      assertEquals(verify.code, 0, verify.stdout + verify.stderr);
      const lines = verify.stdout.trim().split("\n");
      assert(lines.length >= 15, verify.stdout);
      assertEquals(lines.filter((l) => !l.startsWith("ok ")), [], verify.stdout);

      // stop: systemd removes the containers; the units and volumes stay, list shows it stopped.
      const stop = await devaipod("stop", WS);
      assertEquals(stop.code, 0, stop.stderr);
      const ps = await inBox(["podman", "ps", "--all", "--format", "{{.Names}}"]);
      assertEquals(ps.stdout.split("\n").filter((n) => n.includes(WS)), [], ps.stdout);
      const stopped = JSON.parse((await devaipod("list", "--json")).stdout);
      assertEquals(stopped.map((r: { state: string }) => r.state), ["stopped"]);
      assertEquals((await active(`devaipod-${WS}-agent.service`)).stdout.trim(), "inactive");

      // start: systemd makes the containers again; the agent is healthy, its output in the journal.
      const start = await devaipod("start", WS);
      assertEquals(start.code, 0, start.stderr);
      const again = await devaipod("exec", WS, "--", "cat", "/tmp/made");
      assertEquals(again.stdout.trim(), "made", "new containers ran the create hooks again");
      const logs = await devaipod("logs", WS, "-c", "agent");
      assertEquals(logs.code, 0, logs.stderr);
      assertEquals(
        logs.stdout.split("opencode server listening").length - 1,
        2,
        `one start per up and start in the journal:\n${logs.stdout}`,
      );

      // delete: refused while running; with -f the units go, the volumes stay.
      const refused = await devaipod("delete", WS);
      assertEquals(refused.code, 9, refused.stderr);
      const del = await devaipod("delete", "-f", WS);
      assertEquals(del.code, 0, del.stderr);
      const left = await inBox(["ls", "/etc/containers/systemd"]);
      assertEquals(left.stdout.split("\n").filter((f) => f.includes(WS)), []);
      const volumes = await inBox(["podman", "volume", "ls", "--format", "{{.Name}}"]);
      assert(volumes.stdout.includes(`devaipod-${WS}-work`), volumes.stdout);
      const nets = await inBox(["podman", "network", "ls", "--format", "{{.Name}}"]);
      assertEquals(nets.stdout.split("\n").filter((n) => n.includes(WS)), []);
      assertEquals((await devaipod("list", "--json")).stdout.trim(), "[]");
    } finally {
      await box?.remove();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

podmanTest(
  "quadlet backend: where systemd is not running, up --backend quadlet says so (exit 10) and creates nothing",
  async () => {
    const manager = await run("systemctl", ["is-system-running"]).catch(() => undefined);
    if (manager && /^(running|degraded|starting)$/.test(manager.stdout.trim())) {
      if (CI) throw new Error("this check needs a host where systemd does not run");
      console.error("skipping: systemd runs here");
      return;
    }
    const dir = await project({ image: DEV_IMAGE });
    try {
      const up = await runDevaipod(["up", dir, "--backend", "quadlet", "--name", "quadlet-none"]);
      assertEquals(up.code, 10, up.stderr);
      assertMatch(up.stderr, /--backend quadlet needs systemd/);
      const found = await podman.run(p.volumeLs({ "io.devaipod.workspace": "quadlet-none" }));
      assertEquals(found, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
