/**
 * A container of the `systemd` test image: systemd as PID 1 with Debian trixie's podman 5 inside
 * (Quadlet, `kube play` with Secret volumes), booted privileged with its own image store and the
 * host's store as a read-only additional one (the test images without a copy). No network leaves
 * it. Used by the Quadlet backend's end-to-end test and by `podman kube play` of rendered YAML.
 */
import { agentPlatform } from "../../lib/agents/opencode.ts";
import { agentPin } from "../../lib/agents/agent_version.ts";
import { fetchPinnedBinary } from "../../lib/agents/fetch_binary.ts";
import * as p from "../../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import type { CliResult } from "./cli.ts";
import { run } from "./process.ts";
import { SYSTEMD_HOST_STORE, SYSTEMD_IMAGE } from "./test_images.ts";

const podman = p.Podman.fromEnv();

/** The host's image store (the box's additional, read-only store). */
async function graphRoot(): Promise<string> {
  const r = await run("podman", ["info", "--format", "{{.Store.GraphRoot}}"]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** A booted systemd container; `exec` runs a command in it, `remove` deletes it and its store. */
export interface SystemdBox {
  name: string;
  exec(
    args: readonly string[],
    options?: { env?: Record<string, string>; workdir?: string },
  ): Promise<CliResult>;
  remove(): Promise<void>;
}

/**
 * Boots a box with `mounts` (`SOURCE:TARGET[:ro]`) and waits until systemd runs (a few seconds).
 * Fails, naming `deno task images`, when the image is missing.
 */
export async function startSystemdBox(
  label: string,
  mounts: readonly string[],
): Promise<SystemdBox> {
  if (!(await podman.run(p.imageExists(SYSTEMD_IMAGE)))) {
    throw new Error(`test image ${SYSTEMD_IMAGE} is missing (run \`deno task images\`)`);
  }
  const name = `devaipod-test-systemd-${crypto.randomUUID().slice(0, 8)}`;
  const storage = `${name}-storage`;
  const remove = async () => {
    await run("podman", ["rm", "--force", "--time", "0", name]);
    await run("podman", ["volume", "rm", "--force", storage]);
  };
  try {
    await podman.run(p.volumeCreate(storage, { labels: { "io.devaipod.test": label } }));
    const started = await run("podman", [
      "run",
      "--detach",
      "--name",
      name,
      "--privileged",
      "--cgroupns=private",
      "--systemd=false",
      "--network=none",
      "--tmpfs",
      "/run",
      "--tmpfs",
      "/run/lock",
      "--volume",
      `${storage}:/var/lib/containers`,
      "--volume",
      `${await graphRoot()}:${SYSTEMD_HOST_STORE}:ro`,
      ...mounts.flatMap((m) => ["--volume", m]),
      SYSTEMD_IMAGE,
    ]);
    assertEquals(started.code, 0, started.stderr);
    const exec: SystemdBox["exec"] = (args, options = {}) =>
      run("podman", [
        "exec",
        ...(options.workdir ? ["--workdir", options.workdir] : []),
        ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
        name,
        ...args,
      ]);
    let state = "";
    for (let i = 0; i < 150 && !/^(running|degraded)$/.test(state); i++) {
      state = (await exec(["systemctl", "is-system-running"])).stdout.trim();
      if (!/^(running|degraded)$/.test(state)) await new Promise((r) => setTimeout(r, 200));
    }
    assertMatch(state, /^(running|degraded)$/);
    return { name, exec, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** The injected agent binary in the host's cache (a box has no network to fetch it). */
export async function agentBinaryCached(cacheDir: string): Promise<string> {
  const platform = agentPlatform(Deno.build.arch);
  assert(platform, `no opencode build for ${Deno.build.arch}`);
  return await fetchPinnedBinary(await agentPin(platform, undefined, { cacheDir }), {
    cacheDir,
    log: () => {},
  });
}
