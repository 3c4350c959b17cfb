/**
 * devaipod run from a URL, as a user without a checkout runs it: the checkout is served over
 * HTTP on 127.0.0.1 (TypeScript as application/typescript, JSON as application/json) and every
 * command is `deno run --import-map=URL/deno.json <the devaipod task's permissions> URL/main.ts`,
 * or the `devaipod` that `deno install -g` puts on PATH. The sidecars and the SSH bridge's helper
 * then run the runtime devaipod fetched from that URL into its cache, never the checkout.
 */
import { join } from "node:path";
import { devaipodDirs } from "../lib/paths.ts";
import { installArgv, urlRuntimeDir } from "../lib/runtime.ts";
import { RUNTIME_FILES } from "../lib/runtime_files.ts";
import { sha256Hex } from "../lib/util/hash.ts";
import { VERSION } from "../lib/version.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { denoDir, denoProgram, devaipodPermissionFlags } from "./support/cli.ts";
import type { CliResult } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { run } from "./support/process.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The checkout on an HTTP server at 127.0.0.1:0; `tamper` replaces the bytes of some files. */
function serveCheckout(tamper: Record<string, string> = {}) {
  const types: Record<string, string> = {
    ts: "application/typescript",
    json: "application/json",
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname).replace(/^\//, "");
    const type = types[path.split(".").at(-1) ?? ""] ?? "text/plain";
    const body = tamper[path] ?? await Deno.readFile(join(ROOT, path)).catch(() => undefined);
    return body === undefined
      ? new Response("not found", { status: 404 })
      : new Response(body, { headers: { "content-type": type } });
  });
  return { base: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

/** `devaipod ARGS…` from the URL `base`, with the devaipod task's permissions. */
function fromUrl(base: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return run(denoProgram(), [
    "run",
    "--quiet",
    // The served code, never a module Deno cached for this address in an earlier run (ports are
    // reused, and the shared DENO_DIR keeps remote modules by URL); npm packages stay cached.
    `--reload=${base}`,
    ...devaipodPermissionFlags(),
    `--import-map=${base}deno.json`,
    `${base}main.ts`,
    ...args,
  ], { env });
}

/**
 * An empty cache folder for devaipod (its XDG_CACHE_HOME), so that the runtime is fetched; with
 * `agents`, the agent binaries are the usual cache's (linked, so opencode is not fetched again).
 */
async function freshCache(agents: boolean): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "devaipod-url-cache-" });
  if (agents) {
    const shared = join(devaipodDirs(Deno.env).cache, "agents");
    await Deno.mkdir(shared, { recursive: true });
    await Deno.mkdir(join(home, "devaipod"));
    await Deno.symlink(shared, join(home, "devaipod", "agents"));
  }
  return home;
}

/** Where a container mounts /opt/devaipod/src from. */
async function sourcesMount(container: string): Promise<string> {
  const r = await run("podman", [
    "container",
    "inspect",
    "--format",
    '{{range .Mounts}}{{if eq .Destination "/opt/devaipod/src"}}{{.Source}}{{end}}{{end}}',
    container,
  ]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout.trim();
}

podmanTest(
  "url: devaipod run from a URL brings up an isolated workspace that verifies, and ssh and sftp work through its bridge",
  async (t) => {
    const served = serveCheckout();
    const ws = name();
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    const xdgCache = await freshCache(true);
    const scratch = await Deno.makeTempDir({ prefix: "devaipod-url-" });
    const env = { DENO_DIR: denoDir(), XDG_CACHE_HOME: xdgCache };
    const devaipod = (args: string[]) => fromUrl(served.base, args, env);
    try {
      // The default: network isolation on.
      const up = await devaipod(["up", dir, "--name", ws]);
      assertEquals(up.code, 0, up.stderr);
      assertMatch(up.stderr, /devaipod's runtime from http:\/\/127\.0\.0\.1:\d+\//);

      await t.step(
        "the sidecar and the helper run the runtime fetched into the cache",
        async () => {
          const runtime = urlRuntimeDir(join(xdgCache, "devaipod"));
          for (const f of RUNTIME_FILES) {
            assertEquals(await sha256Hex(await Deno.readFile(join(runtime, f.path))), f.sha256);
          }
          assertEquals(await sourcesMount(`devaipod-${ws}-proxy`), runtime);
          assertEquals(await sourcesMount(`devaipod-${ws}-workspace`), runtime);
        },
      );

      await t.step("the agent is healthy behind the proxy and verify passes", async () => {
        const status = await devaipod(["status", ws, "--json"]);
        assertEquals(status.code, 0, status.stderr);
        const doc = JSON.parse(status.stdout);
        assertEquals([doc.isolated, doc.agent.health], [true, "healthy"]);
        const verify = await devaipod(["verify", ws]);
        assertEquals(verify.code, 0, verify.stdout + verify.stderr);
      });

      await t.step("ssh runs a command and sftp moves a file through the bridge", async () => {
        const printed = await devaipod(["ssh-config", ws, "--json"]);
        assertEquals(printed.code, 0, printed.stderr);
        const doc = JSON.parse(printed.stdout);
        // ssh starts the bridge from the URL too.
        assert(doc.proxyCommand.includes(`${served.base}main.ts`), doc.proxyCommand.join(" "));
        const config = join(scratch, "config");
        await Deno.writeTextFile(config, doc.block);
        const opts = ["-F", config, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"];
        const exec = await run("ssh", [...opts, doc.host, "whoami; exit 3"], { env });
        assertEquals([exec.code, exec.stdout], [3, "dev\n"], exec.stderr);

        const local = join(scratch, "blob");
        await Deno.writeFile(local, crypto.getRandomValues(new Uint8Array(60_000)));
        const back = join(scratch, "back");
        const batch = join(scratch, "batch");
        await Deno.writeTextFile(batch, `put ${local} blob\nget blob ${back}\nrm blob\n`);
        const sftp = await run("sftp", [...opts, "-b", batch, doc.host], { env });
        assertEquals(sftp.code, 0, sftp.stderr);
        assertEquals(
          await sha256Hex(await Deno.readFile(back)),
          await sha256Hex(await Deno.readFile(local)),
        );
      });

      await t.step(
        "deno install -g puts devaipod on PATH with the task's permissions",
        async () => {
          const root = join(scratch, "install");
          const [deno, ...args] = installArgv(served.base);
          assertEquals(deno, "deno");
          const install = await run(denoProgram(), [
            ...args.slice(0, 2),
            "--root",
            root,
            ...args.slice(2),
          ], { env });
          assertEquals(install.code, 0, install.stderr);
          const shim = await Deno.readTextFile(join(root, "bin", "devaipod"));
          for (const flag of devaipodPermissionFlags()) assert(shim.includes(flag), flag);
          assertEquals(/--allow-all|\s-A\s/.test(shim), false);
          // `devaipod` by name, found on PATH (through sh: this test may run only named programs).
          const onPath = { ...env, PATH: `${join(root, "bin")}:${Deno.env.get("PATH")}` };
          const installed = (args: string[]) =>
            run("/bin/sh", ["-c", 'exec devaipod "$@"', "sh", ...args], { env: onPath });
          const version = await installed(["--version"]);
          assertEquals(
            [version.code, version.stdout.trim()],
            [0, `devaipod ${VERSION}`],
            version.stderr,
          );
          const exec = await installed(["exec", ws, "--", "sh", "-c", "id -un; exit 4"]);
          assertEquals([exec.code, exec.stdout], [4, "dev\n"], exec.stderr);
        },
      );
    } finally {
      await purge(ws);
      await served.close();
      for (const d of [dir, xdgCache, scratch]) await Deno.remove(d, { recursive: true });
    }
    assertEquals(await labelled(ws), NOTHING);
  },
);

podmanTest(
  "url: a served runtime file that differs from devaipod's list stops up with exit 7 and creates nothing",
  async () => {
    const file = "lib/ssh/sftp_server.ts";
    assert(RUNTIME_FILES.some((f) => f.path === file));
    const original = await Deno.readTextFile(join(ROOT, file));
    const served = serveCheckout({ [file]: `${original}// tampered\n` });
    const ws = name();
    const dir = await project({ image: DEV_IMAGE, remoteUser: "dev" });
    const xdgCache = await freshCache(false);
    try {
      const up = await fromUrl(served.base, ["up", dir, "--name", ws], {
        DENO_DIR: denoDir(),
        XDG_CACHE_HOME: xdgCache,
      });
      assertEquals(up.code, 7, up.stderr);
      assertMatch(
        up.stderr,
        /integrity mismatch for http:\/\/127\.0\.0\.1:\d+\/lib\/ssh\/sftp_server\.ts: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/,
      );
      assertEquals(await labelled(ws), NOTHING);
      assertEquals([...Deno.readDirSync(xdgCache)], [], "nothing in the cache");
    } finally {
      await purge(ws);
      await served.close();
      for (const d of [dir, xdgCache]) await Deno.remove(d, { recursive: true });
    }
  },
);
