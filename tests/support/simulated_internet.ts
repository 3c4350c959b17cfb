/**
 * The tests' simulated internet: a podman network with a web server container answering for some
 * public names, over HTTP and over TLS with a test CA made by openssl. Remote services that cost
 * money or need the internet are played here.
 */
import { join } from "node:path";
import * as p from "../../lib/podman/mod.ts";
import { assert } from "./assert.ts";
import { denoProgram } from "./cli.ts";
import { TEST_LABEL } from "./cleanup.ts";
import { DEV_IMAGE } from "./test_images.ts";
import { certificates } from "./test_ca.ts";

const podman = p.Podman.fromEnv();

/**
 * A normal network with a web server on it, known by `names`: `server` (a Deno program) runs in
 * a container of the dev image with /srv (its folder: the program, `ca.pem`, `server.pem`,
 * `server.key`) mounted read-only. The container and the network carry the test label of `run`.
 */
export async function startSimulatedInternet(
  run: string,
  server: string,
  names: readonly string[],
  more: readonly { server: string; names: readonly string[]; permissions?: readonly string[] }[] =
    [],
): Promise<{ network: string; serverIp: string; dir: string }> {
  const network = `devaipod-test-inet-${run}`;
  const labels = { [TEST_LABEL]: run };
  await podman.run(p.networkCreate({ name: network, labels }));
  const dir = await Deno.makeTempDir({ prefix: "devaipod-inet-" });
  const servers: { server: string; names: readonly string[]; permissions?: readonly string[] }[] = [
    { server, names },
    ...more,
  ];
  for (const [i, s] of servers.entries()) {
    await Deno.writeTextFile(join(dir, i ? `server-${i}.ts` : "server.ts"), s.server);
  }
  // One certificate for every name: each server reads /srv/server.pem.
  await certificates(dir, servers.flatMap((s) => s.names));
  const deno = await Deno.realPath(denoProgram());
  for (const [i, s] of servers.entries()) {
    await podman.run(p.containerRun({
      name: i ? `devaipod-test-web-${run}-${i}` : `devaipod-test-web-${run}`,
      image: DEV_IMAGE,
      labels,
      networks: [network],
      mounts: [
        { type: "bind", source: deno, target: "/usr/local/bin/deno", readonly: true },
        { type: "bind", source: dir, target: "/srv", readonly: true },
      ],
      env: { DENO_DIR: "/tmp/deno", HOME: "/tmp" },
      extraArgs: s.names.flatMap((n) => ["--network-alias", n]),
      command: [
        "deno",
        "run",
        "--quiet",
        "--allow-net",
        "--allow-read=/srv",
        ...(s.permissions ?? []),
        i ? `/srv/server-${i}.ts` : "/srv/server.ts",
      ],
    }));
  }
  const [c] = await podman.run(p.containerInspect(`devaipod-test-web-${run}`));
  const inspect = await new Deno.Command("podman", {
    args: [
      "container",
      "inspect",
      "--format",
      `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
      `devaipod-test-web-${run}`,
    ],
    stdout: "piped",
  }).output();
  assert(c);
  return { network, serverIp: new TextDecoder().decode(inspect.stdout).trim(), dir };
}
