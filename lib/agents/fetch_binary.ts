/**
 * Fetches a binary out of an npm package tarball into devaipod's cache: streams the download
 * through a sha512 check against the pinned integrity, extracts its members into a fresh folder,
 * and moves that into place. A marker beside the binary records the verified integrity, so later checks
 * need not hash it again.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { DownloadError } from "../errors.ts";
import { extractFiles, TarError } from "../util/tar.ts";
import { cachedBinaryPath, cachedPackageDir } from "./opencode.ts";
import type { PinnedBinary } from "./opencode.ts";

/** The public npm registry. */
export const DEFAULT_REGISTRY = "https://registry.npmjs.org";

/** The state of a pinned binary in the cache. */
export interface CacheState {
  path: string;
  /** `verified`: present and its marker matches the pin; `stale`: present without a matching marker. */
  status: "missing" | "verified" | "stale";
}

/** The marker that says the binary at `path` came from a tarball with this integrity. */
export function markerPath(binaryPath: string): string {
  return `${binaryPath}.integrity`;
}

/** Reads the cache state of a pinned binary without hashing it. */
export async function cacheState(cacheDir: string, pin: PinnedBinary): Promise<CacheState> {
  const path = cachedBinaryPath(cacheDir, pin);
  try {
    const [stat, marker] = await Promise.all([
      Deno.stat(path),
      Deno.readTextFile(markerPath(path)).catch(() => ""),
    ]);
    const [integrity, size] = marker.trim().split(" ");
    const ok = stat.isFile && integrity === pin.integrity && Number(size) === stat.size;
    return { path, status: ok ? "verified" : "stale" };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path, status: "missing" };
    throw err;
  }
}

/** The tarball URL of a package version in an npm registry. */
export function tarballUrl(registry: string, pin: PinnedBinary): string {
  const base = registry.replace(/\/+$/, "");
  const bare = pin.packageName.replace(/^@[^/]+\//, "");
  return `${base}/${pin.packageName}/-/${bare}-${pin.version}.tgz`;
}

/** Options of {@link fetchPinnedBinary}. */
export interface FetchOptions {
  cacheDir: string;
  registry?: string;
  /** Progress lines (downloaded MB). */
  log?: (line: string) => void;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/**
 * Makes sure the pinned binary is in the cache and returns its path. Downloads only when the
 * cache has no verified copy. A tarball that does not match the pinned integrity is rejected
 * and nothing is left behind.
 */
export async function fetchPinnedBinary(pin: PinnedBinary, options: FetchOptions): Promise<string> {
  const state = await cacheState(options.cacheDir, pin);
  if (state.status === "verified") return state.path;
  const url = tarballUrl(options.registry ?? DEFAULT_REGISTRY, pin);
  const log = options.log ?? (() => {});
  const doFetch = options.fetch ?? fetch;

  let response: Response;
  try {
    response = await doFetch(url, options.signal ? { signal: options.signal } : {});
  } catch (err) {
    throw new DownloadError(`cannot download ${url}: ${(err as Error).message}`, {
      hint: "check the network, or set DEVAIPOD_NPM_REGISTRY to a reachable npm registry",
      cause: err,
    });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new DownloadError(`cannot download ${url}: HTTP ${response.status}`);
  }
  const total = Number(response.headers.get("content-length")) || undefined;
  const [algo, expected] = splitIntegrity(pin.integrity);
  const hash = createHash(algo);
  let received = 0;
  let nextReport = 0.25;
  const hashed = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        received += chunk.length;
        if (total && received / total >= nextReport) {
          log(
            `${pin.packageName}@${pin.version}: ${Math.round((100 * received) / total)}% of ${
              mb(total)
            }`,
          );
          nextReport += 0.25;
        }
        controller.enqueue(chunk);
      },
    }),
  );

  const path = await extractPackage(pin, gunzip(hashed), options.cacheDir, url, () => {
    const actual = hash.digest("base64");
    if (actual !== expected) throw integrityMismatch(url, pin, `${algo}-${actual}`);
  });
  log(`${pin.packageName}@${pin.version}: verified and cached at ${path}`);
  return path;
}

function integrityMismatch(url: string, pin: PinnedBinary, actual: string): DownloadError {
  return new DownloadError(
    `integrity mismatch for ${url}: expected ${pin.integrity}, got ${actual}`,
    {
      hint: "the registry served different bytes than devaipod pins; nothing was installed",
    },
  );
}

/**
 * The pinned files of a package (the binary, its companions, or a JavaScript tree): extracted
 * into a fresh folder beside the cache's, checked (`verify` throws when the download's digest is
 * wrong), then put in the cache's place; a stale folder there is replaced. Returns the binary.
 */
async function extractPackage(
  pin: PinnedBinary,
  tar: ReadableStream<Uint8Array>,
  cacheDir: string,
  url: string,
  verify: () => void,
): Promise<string> {
  const dir = cachedPackageDir(cacheDir, pin);
  const partial = `${dir}.partial-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(partial, { recursive: true });
  const nameOf = (member: string): string | undefined => {
    if (pin.tree) return member.startsWith(pin.tree) ? member.slice(pin.tree.length) : undefined;
    return member === pin.member ? pin.binaryName : pin.companions?.[member];
  };
  try {
    let written;
    try {
      written = await extractFiles(tar, async (member, mode) => {
        const name = nameOf(member);
        if (!name || name.split("/").some((part) => part === ".." || part === "")) return undefined;
        const target = join(partial, name);
        await Deno.mkdir(dirname(target), { recursive: true });
        const file = await Deno.open(target, {
          write: true,
          createNew: true,
          mode: name === pin.binaryName || mode & 0o111 ? 0o755 : 0o644,
        });
        const writer = file.writable.getWriter();
        return { write: (c) => writer.write(c), close: () => writer.close() };
      });
    } catch (err) {
      throw err instanceof TarError || err instanceof TypeError
        ? new DownloadError(`${url} is not a valid package tarball: ${(err as Error).message}`, {
          cause: err,
        })
        : err;
    }
    verify();
    const binary = written.find((w) => nameOf(w.path) === pin.binaryName);
    if (!binary) throw new DownloadError(`${url} has no ${pin.member}`);
    const missing = Object.keys(pin.companions ?? {}).filter((m) =>
      !written.some((w) => w.path === m)
    );
    if (missing.length) throw new DownloadError(`${url} has no ${missing.join(", ")}`);
    const path = cachedBinaryPath(cacheDir, pin);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    try {
      await Deno.rename(partial, dir);
    } catch (err) {
      // Another devaipod put a verified copy there meanwhile: that one serves.
      if ((await cacheState(cacheDir, pin)).status !== "verified") throw err;
      await Deno.remove(partial, { recursive: true }).catch(() => {});
      return path;
    }
    await Deno.writeTextFile(markerPath(path), `${pin.integrity} ${binary.size}\n`);
    return path;
  } catch (err) {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    throw err;
  }
}

function gunzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
}

function splitIntegrity(integrity: string): [string, string] {
  const dash = integrity.indexOf("-");
  return [integrity.slice(0, dash), integrity.slice(dash + 1)];
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
