/**
 * The reference implementation of the Dev Container spec (`@devcontainers/cli` from npm), run
 * as a test oracle. Installed on first use into a cache folder outside the repository; never
 * imported by devaipod.
 */
import { join } from "node:path";
import { devaipodDirs } from "../../lib/paths.ts";
import { CI } from "./podman_env.ts";

/** The pinned oracle version. */
export const ORACLE_VERSION = "0.89.0";

const dir = join(
  devaipodDirs(Deno.env).cache,
  "..",
  "devaipod-tests",
  `devcontainers-cli-${ORACLE_VERSION}`,
);
/** The reference CLI's entry script (run with `node`), once installed. */
export const ORACLE_SCRIPT = join(dir, "node_modules", "@devcontainers", "cli", "devcontainer.js");

async function run(program: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function install(): Promise<string | undefined> {
  try {
    await Deno.stat(ORACLE_SCRIPT);
    return undefined;
  } catch {
    // not installed yet
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
    const r = await run("npm", [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-fund",
      "--no-audit",
      "--loglevel=error",
      `@devcontainers/cli@${ORACLE_VERSION}`,
    ]);
    if (r.code !== 0) {
      return `npm install @devcontainers/cli@${ORACLE_VERSION} failed: ${
        r.stderr.trim().split("\n").at(-1)
      }`;
    }
    return undefined;
  } catch (err) {
    return `cannot install the oracle: ${(err as Error).message}`;
  }
}

/** Why the oracle cannot run here, or undefined. */
export const oracleUnavailable: string | undefined = await install();

/** Registers a test that needs the oracle (fails in CI when it is missing, skips elsewhere). */
export function oracleTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: oracleUnavailable !== undefined && !CI, fn });
}

/**
 * `devcontainer read-configuration` for a folder, as parsed JSON. `--docker-path /bin/true`
 * answers its container lookup with "none", so no container of this machine can change the
 * answer; pass `dockerPath: "podman"` where it must inspect images.
 */
export async function readConfiguration(
  folder: string,
  options: {
    env?: Record<string, string>;
    config?: string;
    dockerPath?: string;
    extraArgs?: string[];
  } = {},
): Promise<Record<string, unknown>> {
  if (oracleUnavailable) throw new Error(oracleUnavailable);
  const args = [
    ORACLE_SCRIPT,
    "read-configuration",
    "--workspace-folder",
    folder,
    "--docker-path",
    options.dockerPath ?? "/bin/true",
    ...(options.config ? ["--config", options.config] : []),
    ...(options.extraArgs ?? []),
  ];
  const r = await run("node", args, options.env);
  if (r.code !== 0) {
    throw new Error(
      `oracle failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join("\n")}`,
    );
  }
  return JSON.parse(r.stdout);
}

/**
 * Keeps the oracle off the internet: with a fresh cached control manifest (no disallowed
 * Features, no advisories) it does not fetch containers.dev's. Call before each Feature run.
 */
export async function seedControlManifest(): Promise<void> {
  const user = Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ?? "root";
  const dir = join(Deno.env.get("TMPDIR") ?? "/tmp", `devcontainercli-${user}`);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "control-manifest.json"),
    JSON.stringify({ disallowedFeatures: [], featureAdvisories: [] }),
  );
}

/** `devcontainer features publish` of a folder of Features to a registry on `localhost:PORT`. */
export async function publishFeatures(
  registry: string,
  namespace: string,
  src: string,
): Promise<void> {
  if (oracleUnavailable) throw new Error(oracleUnavailable);
  await seedControlManifest();
  const r = await run("node", [
    ORACLE_SCRIPT,
    "features",
    "publish",
    "--registry",
    registry,
    "--namespace",
    namespace,
    "--log-level",
    "info",
    src,
  ]);
  if (r.code !== 0) {
    throw new Error(`features publish failed (exit ${r.code}): ${r.stderr.trim().slice(-800)}`);
  }
}

/** `devcontainer build --docker-path podman` of a folder into `imageName`. */
export async function buildImage(folder: string, imageName: string): Promise<void> {
  if (oracleUnavailable) throw new Error(oracleUnavailable);
  await seedControlManifest();
  const r = await run("node", [
    ORACLE_SCRIPT,
    "build",
    "--workspace-folder",
    folder,
    "--docker-path",
    "podman",
    "--image-name",
    imageName,
  ]);
  if (r.code !== 0) {
    throw new Error(`devcontainer build failed (exit ${r.code}): ${r.stderr.trim().slice(-800)}`);
  }
}
