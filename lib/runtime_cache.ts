/**
 * The runtime of a devaipod run from a URL: the files lib/runtime_files.ts lists, fetched from
 * beside devaipod's main module (the same origin, the same version), each checked against its
 * sha256 before anything is written, and kept in devaipod's cache, one folder per version
 * ({@link urlRuntimeDir}). The folder appears whole or not at all: the files go into a temporary
 * folder beside it, which is renamed into place. A folder there is never removed (running
 * containers may mount it): one that no longer matches is renamed aside first.
 */
import { basename, dirname, join } from "node:path";
import { DownloadError } from "./errors.ts";
import { redactUrl } from "./sources/parse.ts";
import { authorizationFor } from "./util/auth_tokens.ts";
import { codeRoot, urlRuntimeDir } from "./runtime.ts";
import type { RuntimeInfo } from "./runtime.ts";
import { RUNTIME_FILES } from "./runtime_files.ts";
import type { RuntimeFile } from "./runtime_files.ts";
import { sha256Hex } from "./util/hash.ts";

/** Options of {@link materialiseRuntime}. */
export interface MaterialiseOptions {
  /** The files to fetch (default: {@link RUNTIME_FILES}). */
  files?: readonly RuntimeFile[];
  fetch?: typeof fetch;
  /** The value of `DENO_AUTH_TOKENS`: its entry for the URL's host is sent, as Deno sends it. */
  authTokens?: string;
}

/** Whether the runtime was already in the cache or has just been fetched into it. */
export type MaterialiseResult = "cached" | "fetched";

/** Whether `dir` holds every file of `files` with its hash. */
async function complete(dir: string, files: readonly RuntimeFile[]): Promise<boolean> {
  for (const f of files) {
    const bytes = await Deno.readFile(join(dir, f.path)).catch(() => undefined);
    if (!bytes || await sha256Hex(bytes) !== f.sha256) return false;
  }
  return true;
}

/** Downloads one file (with its host's `DENO_AUTH_TOKENS` entry) and checks its hash. */
async function download(
  base: URL,
  file: RuntimeFile,
  doFetch: typeof fetch,
  authTokens: string | undefined,
): Promise<Uint8Array> {
  const url = new URL(file.path, base);
  const shown = redactUrl(url.href);
  const authorization = authorizationFor(url, authTokens);
  let response: Response;
  try {
    response = await doFetch(url.href, authorization ? { headers: { authorization } } : {});
  } catch (err) {
    throw new DownloadError(`cannot download ${shown}: ${(err as Error).message}`, {
      hint: "devaipod runs from this URL: its sidecars need these files from the same place",
      cause: err,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`cannot download ${shown}: HTTP ${response.status}`, {
      ...(response.status === 401 || response.status === 403
        ? { hint: "a private URL: set DENO_AUTH_TOKENS for its host, as for `deno run`" }
        : {}),
    });
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new DownloadError(
      `integrity mismatch for ${shown}: expected sha256 ${file.sha256}, got ${actual}`,
      {
        hint:
          "the server sends other code than the devaipod running here was loaded with; nothing was written. Use a URL that names a fixed version, or `deno run --reload` to load what it serves now",
      },
    );
  }
  return bytes;
}

/**
 * Makes sure the runtime of the devaipod described by `runtime` (run from a URL) is in the cache
 * under `cacheDir`, fetching it from {@link codeRoot} when it is not; returns which it was. A
 * file that cannot be fetched or does not match its hash is a {@link DownloadError}, and then
 * nothing is written. A folder that no longer matches (changed by hand) is fetched again.
 */
export async function materialiseRuntime(
  runtime: RuntimeInfo,
  cacheDir: string,
  options: MaterialiseOptions = {},
): Promise<MaterialiseResult> {
  const files = options.files ?? RUNTIME_FILES;
  const dir = urlRuntimeDir(cacheDir, files);
  if (await complete(dir, files)) return "cached";
  const base = codeRoot(runtime);
  const doFetch = options.fetch ?? fetch;
  // Every file is fetched and checked before the first byte is written.
  const fetched = await Promise.all(
    files.map(async (f) => ({
      path: f.path,
      bytes: await download(base, f, doFetch, options.authTokens),
    })),
  );
  await Deno.mkdir(dirname(dir), { recursive: true });
  const partial = await Deno.makeTempDir({
    dir: dirname(dir),
    prefix: `${basename(dir)}.partial-`,
  });
  try {
    // Readable by the containers' users (the proxy runs as nobody), as a checkout is; set
    // explicitly, whatever the umask.
    const folders = new Set<string>();
    for (const { path, bytes } of fetched) {
      for (let d = dirname(path); d !== "."; d = dirname(d)) folders.add(d);
      await Deno.mkdir(join(partial, dirname(path)), { recursive: true });
      await Deno.writeFile(join(partial, path), bytes);
      await Deno.chmod(join(partial, path), 0o644);
    }
    for (const d of ["", ...folders]) await Deno.chmod(join(partial, d), 0o755);
    if (await putInPlace(partial, dir, files)) return "fetched";
    await Deno.remove(partial, { recursive: true });
    return "cached";
  } catch (err) {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    throw err;
  }
}

/**
 * Renames the complete folder `partial` to `dir`; false when another devaipod put a complete
 * copy there first. A copy there that does not match (changed by hand) is renamed aside, never
 * removed: containers may mount it, and a folder emptied under them breaks them.
 */
async function putInPlace(
  partial: string,
  dir: string,
  files: readonly RuntimeFile[],
): Promise<boolean> {
  // One devaipod at a time decides what is at `dir`: without the lock, one could rename aside
  // the complete copy another had just put there (and returned). The lock goes with the process.
  const lock = await Deno.open(`${dir}.lock`, { create: true, write: true });
  try {
    await lock.lock(true);
    if (await complete(dir, files)) return false;
    try {
      // A rename onto a folder that is not empty fails: it never replaces another's copy.
      await Deno.rename(partial, dir);
      return true;
    } catch {
      await Deno.rename(dir, `${dir}.stale-${crypto.randomUUID().slice(0, 8)}`).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      await Deno.rename(partial, dir);
      return true;
    }
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
}
