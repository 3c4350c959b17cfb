/**
 * A real OCI registry for the tests: Debian's `docker-registry` (distribution 2.8) on loopback,
 * plain HTTP, no auth, storing into a scratch folder. podman pushes to it as the user's registry;
 * a `registries.conf` that marks it insecure is passed through `CONTAINERS_REGISTRIES_CONF`.
 */
import { join } from "node:path";
import { collect, freePort } from "./kube_apiserver.ts";

/** Where the registry's program is (Debian's package puts it here). */
export const REGISTRY_PROGRAM = "docker-registry";

/** Why the registry cannot run here, or undefined when it can. */
export const registryUnavailable: string | undefined = await (async () => {
  const r = await new Deno.Command(REGISTRY_PROGRAM, {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return r?.code === 0
    ? undefined
    : "docker-registry is not installed (apt-get install docker-registry)";
})();

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`: what `--registry` takes. */
  address: string;
  /** Its storage folder (another registry process may serve the same). */
  storage: string;
  /** Its config file (listens on {@link address}, stores in {@link storage}). */
  config: string;
  /** A registries.conf marking {@link address} insecure (plain HTTP), for podman. */
  registriesConf: string;
  /** Whether the registry holds `repo`'s manifest `reference` (a tag or a digest). */
  hasManifest(repo: string, reference: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The registry's config: listen on `address`, store under `storage`, nothing else. */
export function registryConfig(address: string, storage: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "http:",
    `  addr: ${address}`,
    "",
  ].join("\n");
}

/** Starts a registry on a free loopback port and waits until it answers `/v2/`. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-registry-" });
  const storage = join(dir, "storage");
  await Deno.mkdir(storage);
  const address = `127.0.0.1:${freePort()}`;
  const config = join(dir, "config.yml");
  await Deno.writeTextFile(config, registryConfig(address, storage));
  const registriesConf = join(dir, "registries.conf");
  await Deno.writeTextFile(
    registriesConf,
    `[[registry]]\nlocation = "${address}"\ninsecure = true\n`,
  );
  const child = new Deno.Command(REGISTRY_PROGRAM, {
    args: ["serve", config],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  const close = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  };
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://${address}/v2/`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ok) {
      return {
        address,
        storage,
        config,
        registriesConf,
        hasManifest: async (repo, reference) => {
          const r = await fetch(`http://${address}/v2/${repo}/manifests/${reference}`, {
            method: "HEAD",
            headers: {
              accept: [
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.v2+json",
              ].join(", "),
            },
          });
          await r.body?.cancel();
          return r.ok;
        },
        close,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  throw new Error(`docker-registry never answered on ${address}:\n${[...out, ...err].join("")}`);
}
