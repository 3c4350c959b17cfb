/**
 * Brings one Feature's files into the cache and reads its manifest: an OCI artifact (by digest
 * when the lockfile or the reference pins one, else by tag), a tarball URL, or a local folder.
 * Whatever the cache already holds by digest is used without a network request.
 */
import { join } from "node:path";
import { DownloadError, NotFoundError } from "../errors.ts";
import { readTextIfExists } from "../util/read_if_exists.ts";
import {
  digestOf,
  folderDigest,
  readBlob,
  readPointer,
  unpacked,
  writeBlob,
  writePointer,
} from "./feature_cache.ts";
import { FEATURE_FILE, parseFeatureManifest } from "./feature_json.ts";
import type { FeatureManifest } from "./feature_json.ts";
import { describeSource } from "./feature_ref.ts";
import type { FeatureRef, FeatureSource } from "./feature_ref.ts";
import { parseManifest } from "./oci_client.ts";
import type { OciClient, OciManifest, OciRepository } from "./oci_client.ts";

/** The media type of a Feature's layer. */
export const FEATURE_LAYER_TYPE = "application/vnd.devcontainers.layer.v1+tar";

/** A Feature in the cache. */
export interface FetchedFeature {
  ref: FeatureRef;
  manifest: FeatureManifest;
  /** The unpacked folder (for a local Feature, the folder itself). */
  dir: string;
  /** What names this content: the OCI manifest's digest, the tarball's, or the folder's. */
  digest: string;
  /** The lockfile's `resolved`: `registry/repo@digest`, the URL, or the folder. */
  resolved: string;
}

/** What a lockfile pins for a reference. */
export interface Pin {
  integrity: string;
}

/** What fetching needs. */
export interface FetchDeps {
  client: OciClient;
  /** The Feature cache's root ({@link featureCacheRoot}). */
  cacheRoot: string;
  fetch?: typeof fetch;
  /** Lines worth telling the user (a fallback to the cache). */
  warn?: (line: string) => void;
}

function offline(err: unknown): boolean {
  return err instanceof DownloadError && err.cause instanceof TypeError;
}

/** Newest `X.Y.Z` tag under a partial version (`1` → newest `1.*.*`), or undefined. */
export function newestMatching(tags: readonly string[], wanted: string): string | undefined {
  if (!/^\d+(\.\d+)?$/.test(wanted)) return undefined;
  const parse = (t: string) => t.split(".").map(Number);
  const releases = tags.filter((t) => /^\d+\.\d+\.\d+$/.test(t) && t.startsWith(`${wanted}.`));
  releases.sort((a, b) => {
    const [x, y] = [parse(a), parse(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  });
  return releases.at(-1);
}

async function manifestByDigest(
  deps: FetchDeps,
  repo: OciRepository,
  digest: string,
): Promise<OciManifest> {
  const cached = await readBlob(deps.cacheRoot, digest);
  if (cached) return parseManifest(cached, `cached manifest ${digest}`);
  const got = await deps.client.manifest(repo, digest);
  await writeBlob(deps.cacheRoot, got.digest, got.bytes);
  return got.manifest;
}

async function ociFeature(
  source: Extract<FeatureSource, { kind: "oci" }>,
  deps: FetchDeps,
  pin: Pin | undefined,
): Promise<{ digest: string; dir: string }> {
  const repo = { registry: source.registry, repository: source.repository };
  const tagKey = `${source.registry}/${source.repository}:${source.tag}`;
  let digest = source.digest ?? pin?.integrity;
  let manifest: OciManifest | undefined;
  if (!digest) {
    try {
      let got;
      try {
        got = await deps.client.manifest(repo, source.tag ?? "latest");
      } catch (err) {
        const newer = err instanceof NotFoundError
          ? newestMatching(await deps.client.tags(repo), source.tag ?? "")
          : undefined;
        if (!newer) throw err;
        got = await deps.client.manifest(repo, newer);
      }
      digest = got.digest;
      manifest = got.manifest;
      await writeBlob(deps.cacheRoot, got.digest, got.bytes);
      await writePointer(deps.cacheRoot, "tags", tagKey, got.digest);
    } catch (err) {
      const last = offline(err) ? await readPointer(deps.cacheRoot, "tags", tagKey) : undefined;
      if (!last) throw err;
      deps.warn?.(`${source.registry} is not reachable: using ${tagKey} as cached (${last})`);
      digest = last;
    }
  }
  manifest ??= await manifestByDigest(deps, repo, digest);
  const layer = manifest.layers.find((l) => l.mediaType === FEATURE_LAYER_TYPE) ??
    manifest.layers[0];
  if (!layer) {
    throw new DownloadError(`${describeSource(source)} has no layer: it is not a Feature`);
  }
  let bytes = await readBlob(deps.cacheRoot, layer.digest);
  if (!bytes) {
    bytes = await deps.client.blob(repo, layer.digest);
    await writeBlob(deps.cacheRoot, layer.digest, bytes);
  }
  return { digest, dir: await unpacked(deps.cacheRoot, layer.digest, bytes) };
}

async function download(url: string, deps: FetchDeps): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await (deps.fetch ?? fetch)(url);
  } catch (err) {
    throw new DownloadError(`cannot download Feature ${url}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new NotFoundError(`Feature ${url} not found (HTTP 404)`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`cannot download Feature ${url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function tarballFeature(
  source: Extract<FeatureSource, { kind: "tarball" }>,
  deps: FetchDeps,
  pin: Pin | undefined,
): Promise<{ digest: string; dir: string }> {
  let digest = pin?.integrity;
  let bytes = digest ? await readBlob(deps.cacheRoot, digest) : undefined;
  if (!bytes) {
    try {
      bytes = await download(source.url, deps);
    } catch (err) {
      const last = offline(err) ? await readPointer(deps.cacheRoot, "urls", source.url) : undefined;
      const cached = last && !pin ? await readBlob(deps.cacheRoot, last) : undefined;
      if (!cached || !last) throw err;
      deps.warn?.(`${new URL(source.url).host} is not reachable: using ${source.url} as cached`);
      return { digest: last, dir: await unpacked(deps.cacheRoot, last, cached) };
    }
    const actual = await digestOf(bytes);
    if (digest && actual !== digest) {
      throw new DownloadError(
        `Feature ${source.url} does not match devcontainer-lock.json: expected ${digest}, got ${actual}`,
        { hint: "the server sent other bytes than were locked; nothing was installed" },
      );
    }
    digest = actual;
    await writeBlob(deps.cacheRoot, digest, bytes);
    await writePointer(deps.cacheRoot, "urls", source.url, digest);
  }
  return { digest: digest as string, dir: await unpacked(deps.cacheRoot, digest as string, bytes) };
}

/** Fetches (or finds in the cache) one Feature and reads its `devcontainer-feature.json`. */
export async function fetchFeature(
  ref: FeatureRef,
  deps: FetchDeps,
  pin?: Pin,
): Promise<FetchedFeature> {
  const source = ref.source;
  let got: { digest: string; dir: string };
  let resolved: string;
  switch (source.kind) {
    case "oci":
      got = await ociFeature(source, deps, pin);
      resolved = `${source.registry}/${source.repository}@${got.digest}`;
      break;
    case "tarball":
      got = await tarballFeature(source, deps, pin);
      resolved = source.url;
      break;
    case "local":
      try {
        got = { dir: source.path, digest: await folderDigest(source.path) };
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        throw new NotFoundError(`local Feature '${ref.userId}' not found: ${source.path}`);
      }
      resolved = source.path;
      break;
  }
  const file = join(got.dir, FEATURE_FILE);
  const text = await readTextIfExists(file);
  if (text === undefined) {
    throw new NotFoundError(`Feature '${ref.userId}' has no ${FEATURE_FILE}`, {
      hint: source.kind === "local"
        ? `create ${file}`
        : `${describeSource(source)} is not a Feature`,
    });
  }
  const label = source.kind === "local" ? file : `${describeSource(source)} ${FEATURE_FILE}`;
  return {
    ref,
    manifest: parseFeatureManifest(text, label),
    dir: got.dir,
    digest: got.digest,
    resolved,
  };
}
