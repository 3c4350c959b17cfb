/**
 * The opencode agent binary: which version devaipod injects into agent containers, where the
 * npm registry keeps it, and where devaipod caches it.
 */
import { join } from "node:path";

/** The opencode version devaipod injects. Bump together with the integrities below. */
export const OPENCODE_VERSION = "1.18.18";

/** Container platforms (Linux, as in `podman info`'s host.arch) that opencode ships for. */
export type AgentPlatform = "linux-x64" | "linux-arm64";

/** An npm package that carries one platform's binary, with its pinned integrity. */
export interface PinnedBinary {
  /** npm package name, e.g. `opencode-linux-x64`. */
  packageName: string;
  version: string;
  /** The registry's `dist.integrity` (SRI, sha512) of the package tarball. */
  integrity: string;
  /** Path of the binary inside the tarball. */
  member: string;
  /** File name in the cache (a path under the package's folder, with {@link tree}). */
  binaryName: string;
  /** More members the binary needs beside it: member path → file name. */
  companions?: Readonly<Record<string, string>>;
  /** Every file under this folder of the tarball (`package/`): a JavaScript package. */
  tree?: string;
}

const INTEGRITY: Record<AgentPlatform, string> = {
  "linux-x64":
    "sha512-WmeUnhljYJ252wywKTiW4bNDzsas2njpjPUEh0jM6HKNI4vFxJtREtzaWViY4AKEAcOkLWT8Ll17ixvcHz3AnA==",
  "linux-arm64":
    "sha512-e8D3g0qJEIzawEg2+ygW3vkZjAYL2ssyAx4GbihjwXwZFvlZZy5zRWWzdz5KLBoHSTl0FB73vNtnNeXONyHpVQ==",
};

/** The pinned opencode package for a platform. */
export function opencodePin(platform: AgentPlatform): PinnedBinary {
  return {
    packageName: `opencode-${platform}`,
    version: OPENCODE_VERSION,
    integrity: INTEGRITY[platform],
    member: "package/bin/opencode",
    binaryName: "opencode",
  };
}

/**
 * Maps an architecture name (podman's `host.arch`, e.g. `amd64`, or Deno's `x86_64`) to the
 * agent platform, or undefined when opencode has no Linux build for it.
 */
export function agentPlatform(arch: string): AgentPlatform | undefined {
  switch (arch) {
    case "amd64":
    case "x86_64":
      return "linux-x64";
    case "arm64":
    case "aarch64":
      return "linux-arm64";
    default:
      return undefined;
  }
}

/** Where a pinned binary lives in the cache: `<cache>/agents/<package>/<version>/<binary>`. */
export function cachedBinaryPath(cacheDir: string, pin: PinnedBinary): string {
  return join(cachedPackageDir(cacheDir, pin), pin.binaryName);
}

/** The folder of a pinned package in the cache: `<cache>/agents/<package>/<version>`. */
export function cachedPackageDir(cacheDir: string, pin: PinnedBinary): string {
  return join(cacheDir, "agents", pin.packageName, pin.version);
}
