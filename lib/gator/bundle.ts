/**
 * The gator's one-file program: lib/gator/main.ts bundled with the MCP SDK and zod by
 * `deno bundle`, so the sidecar runs it with Deno's `--no-config --no-lock` and nothing else (no
 * npm, no network, no import map). Built once per content into the cache; the compiled devaipod
 * needs none (it runs `devaipod gator-serve`).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FailedError } from "../errors.ts";
import type { GatorRuntime } from "../plan/gator_plan.ts";
import { codeRoot, runtimeKind } from "../runtime.ts";
import type { RuntimeInfo } from "../runtime.ts";
import { sha256Hex } from "../util/hash.ts";
import { runProcess } from "../util/process.ts";
import { VERSION } from "../version.ts";

/** The lockfile of the gator's packages (and the tests'), beside deno.json. */
export const DEV_LOCK = "deno.dev.lock";

/** The gator's entry point in devaipod's sources. */
export const GATOR_ENTRY = "lib/gator/main.ts";

const IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g;

/**
 * The local files of the module graph from `entry` (relative imports only; npm packages are
 * pinned by deno.dev.lock), with their bytes, sorted by path.
 */
export async function localGraph(root: string, entry: string): Promise<[string, Uint8Array][]> {
  const seen = new Map<string, Uint8Array>();
  const todo = [join(root, entry)];
  for (let path = todo.pop(); path !== undefined; path = todo.pop()) {
    if (seen.has(path)) continue;
    const bytes = await Deno.readFile(path);
    seen.set(path, bytes);
    for (const m of new TextDecoder().decode(bytes).matchAll(IMPORT)) {
      if (m[1]) todo.push(join(dirname(path), m[1]));
    }
  }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The bundle's cache path for a checkout at `root`: named by a digest of the gator's sources
 * and deno.dev.lock, so an edited source makes a new bundle.
 */
export async function localBundlePath(root: string, cacheDir: string): Promise<string> {
  const parts = await localGraph(root, GATOR_ENTRY);
  const lock = await Deno.readFile(join(root, DEV_LOCK)).catch(() => new Uint8Array());
  const digest = await sha256Hex(
    [
      ...parts.map(([p, b]) => `${p}\0${new TextDecoder().decode(b)}\0`),
      new TextDecoder().decode(lock),
    ]
      .join(""),
  );
  return join(cacheDir, "gator", `${VERSION}-${digest.slice(0, 16)}.js`);
}

/**
 * How the gator runs for this devaipod: the compiled binary itself, or this Deno with the
 * bundle's cache path (named by content; {@link ensureGatorProgram} builds it). Reads the
 * gator's sources, nothing else.
 */
export async function gatorRuntime(runtime: RuntimeInfo, cacheDir: string): Promise<GatorRuntime> {
  const kind = runtimeKind(runtime);
  if (kind === "compiled") return { kind: "binary", binary: runtime.execPath };
  const root = codeRoot(runtime);
  if (kind === "local") {
    const rootPath = fileURLToPath(root).replace(/\/$/, "");
    return {
      kind: "bundle",
      deno: runtime.execPath,
      bundle: await localBundlePath(rootPath, cacheDir),
      entry: join(rootPath, GATOR_ENTRY),
      config: join(rootPath, "deno.json"),
    };
  }
  return {
    kind: "bundle",
    deno: runtime.execPath,
    bundle: join(cacheDir, "gator", `${VERSION}-url.js`),
    entry: new URL(GATOR_ENTRY, root).href,
    config: new URL("deno.json", root).href,
  };
}

/**
 * Builds the gator's bundle unless it is there (`deno bundle`, a few seconds once; it fetches the
 * MCP SDK from the npm registry when Deno's cache lacks it).
 */
export async function ensureGatorProgram(runtime: GatorRuntime): Promise<void> {
  if (runtime.kind !== "bundle") return;
  if (await Deno.stat(runtime.bundle).then(() => true, () => false)) return;
  await Deno.mkdir(dirname(runtime.bundle), { recursive: true });
  const tmp = `${runtime.bundle}.${crypto.randomUUID()}.tmp`;
  const remote = /^https?:/.test(runtime.entry);
  const args = [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    ...(remote
      // From a URL there is no lockfile to read: the SDK's version is pinned in the import.
      ? [`--import-map=${runtime.config}`, "--no-lock"]
      // deno.lock holds the CLI's packages alone (Deno installs every package of the lockfile
      // at start); the gator's SDK is pinned in deno.dev.lock with the tests' packages.
      : [`--config=${runtime.config}`, `--lock=${join(dirname(runtime.config), DEV_LOCK)}`]),
    "-o",
    tmp,
    runtime.entry,
  ];
  const options = remote ? {} : { cwd: dirname(runtime.config) };
  // `--allow-run=deno` names the deno on PATH, which is usually a link to this one.
  const r = await runProcess(runtime.deno, args, options).catch((err) => {
    if (err instanceof Deno.errors.NotCapable) return runProcess("deno", args, options);
    throw err;
  });
  if (r.code !== 0) {
    await Deno.remove(tmp).catch(() => {});
    const tail = r.stderr.trim().split("\n").slice(-3).join(" ");
    throw new FailedError(
      `Cannot build the gator's program (deno bundle, exit ${r.code}): ${tail}`,
      { hint: "deno bundle fetches the MCP SDK from the npm registry the first time" },
    );
  }
  // Another up may have built it meanwhile: the same content either way.
  await Deno.rename(tmp, runtime.bundle);
}
