/**
 * `[agent] version` in the user config: another opencode release than the one devaipod pins.
 * Its integrity comes from the npm registry's metadata for that exact version (as `npm install`
 * trusts it), and the download is checked against it like the pinned one.
 */
import { z } from "zod";
import { DownloadError, NotFoundError } from "../errors.ts";
import { cacheState, DEFAULT_REGISTRY, markerPath } from "./fetch_binary.ts";
import { cachedBinaryPath, OPENCODE_VERSION, opencodePin } from "./opencode.ts";
import type { AgentPlatform, PinnedBinary } from "./opencode.ts";

const VersionMetadata = z.object({
  version: z.string(),
  dist: z.object({ integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+=*$/) }),
});

/**
 * The opencode package for `platform` at `version`: the pinned one when `version` is absent or
 * the pinned version, else the registry's record of that version.
 */
export async function agentPin(
  platform: AgentPlatform,
  version: string | undefined,
  options: { registry?: string; fetch?: typeof fetch; cacheDir?: string } = {},
): Promise<PinnedBinary> {
  const pinned = opencodePin(platform);
  if (version === undefined || version === OPENCODE_VERSION) return pinned;
  // Downloaded (and checked) before: its marker holds the integrity it was checked against.
  if (options.cacheDir) {
    const path = cachedBinaryPath(options.cacheDir, { ...pinned, version });
    const marker = await Deno.readTextFile(markerPath(path)).catch(() => "");
    const integrity = marker.trim().split(" ")[0];
    if (integrity?.startsWith("sha512-")) {
      const pin = { ...pinned, version, integrity };
      if ((await cacheState(options.cacheDir, pin)).status === "verified") return pin;
    }
  }
  const registry = (options.registry ?? DEFAULT_REGISTRY).replace(/\/+$/, "");
  const url = `${registry}/${pinned.packageName}/${encodeURIComponent(version)}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(20_000),
    });
  } catch (err) {
    throw new DownloadError(`cannot read ${url}: ${(err as Error).message}`, {
      hint: "check the network, or set DEVAIPOD_NPM_REGISTRY to a reachable npm registry",
      cause: err,
    });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new NotFoundError(
      `[agent] version ${version}: ${pinned.packageName}@${version} is not in the npm registry`,
      { hint: `remove [agent] version to use devaipod's pinned opencode ${OPENCODE_VERSION}` },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`cannot read ${url}: HTTP ${response.status}`);
  }
  const parsed = VersionMetadata.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success || parsed.data.version !== version) {
    throw new DownloadError(`${url} did not describe ${pinned.packageName}@${version}`);
  }
  return { ...pinned, version, integrity: parsed.data.dist.integrity };
}
