/**
 * `customizations.devaipod.nestedContainers` against real podman: a config written for upstream
 * devaipod (bootc's: `"privileged": true` beside `nestedContainers`) starts, the workspace runs
 * containers with podman inside it, and the agent stays without any capability.
 */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { NESTED_IMAGE, NESTED_ROOTFS_TAR } from "./support/test_images.ts";
import { name, project, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();

const exec = (ws: string, role: string, script: string) =>
  runDevaipod(["exec", ws, "-c", role, "--", "sh", "-c", script]);

/** Capability bits in /proc/PID/status masks. */
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** The CapEff mask from /proc/self/status text. */
function capEff(status: string): bigint {
  const m = /^CapEff:\s+([0-9a-f]+)$/m.exec(status);
  assert(m?.[1], `no CapEff in:\n${status}`);
  return BigInt(`0x${m[1]}`);
}

const has = (mask: bigint, bit: bigint) => ((mask >> bit) & 1n) === 1n;

podmanTest(
  "nested containers: podman runs a container inside a nestedContainers workspace, which is not privileged; the agent has no capabilities",
  async () => {
    if (!(await podman.run(p.imageExists(NESTED_IMAGE)))) {
      throw new Error(`test image ${NESTED_IMAGE} is missing (run \`deno task images\`)`);
    }
    const dir = await project({
      image: NESTED_IMAGE,
      // For the stock devcontainer CLI; devaipod replaces it with nested podman's set.
      privileged: true,
      runArgs: ["--cap-add=SYS_PTRACE"],
      customizations: { devaipod: { nestedContainers: true } },
    });
    const ws = name();
    try {
      const up = await runDevaipod(["up", dir, "--name", ws]);
      assertEquals(up.code, 0, up.stderr);

      // Not privileged: only the capabilities asked, no SYS_PTRACE from runArgs.
      const [inspect] = await podman.run(p.containerInspect(`devaipod-${ws}-workspace`));
      assertEquals(inspect?.HostConfig.Privileged, false);
      const status = await exec(ws, "workspace", "cat /proc/self/status; ls -l /dev/net/tun");
      assertEquals(status.code, 0, status.stderr);
      const caps = capEff(status.stdout);
      assert(has(caps, CAP_SYS_ADMIN) && has(caps, CAP_NET_ADMIN), caps.toString(16));
      assertEquals(has(caps, 19n), false, "no CAP_SYS_PTRACE (19)");
      assertEquals(has(caps, 16n), false, "no CAP_SYS_MODULE (16), which --privileged would give");
      assertMatch(status.stdout, /^c.* \/dev\/net\/tun$/m);

      // podman inside the workspace: an image made from a local tarball, then a container of it
      // (its own PID namespace, and a network namespace on the inner bridge) whose output comes
      // back.
      const innerScript = 'echo "inner says $((6 * 7)) as pid $$"; ' +
        "while read -r l; do case $l in eth0:*) echo eth0;; esac; done < /proc/net/dev";
      const inner = await exec(
        ws,
        "workspace",
        `podman import --quiet ${NESTED_ROOTFS_TAR} localhost/inner >/dev/null && ` +
          `podman run --rm localhost/inner /usr/bin/dash -c '${innerScript}'`,
      );
      assertEquals(inner.code, 0, inner.stderr);
      assertEquals(inner.stdout.trim().split("\n"), ["inner says 42 as pid 1", "eth0"]);

      // The agent of the same workspace (in its own network namespace behind the proxy, with
      // isolation on by default): no capability at all, no new privileges.
      const agent = await exec(
        ws,
        "agent",
        "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status",
      );
      assertEquals(agent.code, 0, agent.stderr);
      assertMatch(agent.stdout, /^CapEff:\s+0+$/m);
      assertMatch(agent.stdout, /^CapPrm:\s+0+$/m);
      assertMatch(agent.stdout, /^CapBnd:\s+0+$/m);
      assertMatch(agent.stdout, /^NoNewPrivs:\s+1$/m);
      // What the workspace just did (new mount and network namespaces) is refused to the agent.
      const denied = await exec(ws, "agent", "unshare --mount --net true 2>&1; echo $?");
      assertEquals(denied.stdout.trim().split("\n"), [
        "unshare: unshare failed: Operation not permitted",
        "1",
      ]);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
