/**
 * What a devcontainer.json's `features` key names: an OCI artifact, a tarball URL, or a folder
 * under `.devcontainer/`. Pure: parsing checks the form only; fetching is elsewhere.
 *
 * @example
 * ```ts
 * parseFeatureRef("ghcr.io/devcontainers/features/node:1", { configDir: "/p/.devcontainer" });
 * // → { userId: "…node:1", source: { kind: "oci", registry: "ghcr.io",
 * //       repository: "devcontainers/features/node", id: "node", tag: "1" } }
 * ```
 */
import { isAbsolute, join, relative } from "node:path";

/** Where a Feature's files come from. */
export type FeatureSource =
  | {
    kind: "oci";
    registry: string;
    /** The path in the registry, `owner/collection/id`. */
    repository: string;
    id: string;
    /** A tag (`1`, `1.2`, `latest`), or absent when pinned by digest. */
    tag?: string;
    /** `sha256:…` when the reference pins one. */
    digest?: string;
  }
  | { kind: "tarball"; url: string; id: string }
  | { kind: "local"; path: string; id: string };

/** A parsed reference, with the words it was written in. */
export interface FeatureRef {
  /** The key as written in devcontainer.json (or in a `dependsOn`). */
  userId: string;
  source: FeatureSource;
  /** Set for a deprecated short form: what it now means, and that it is deprecated. */
  warning?: string;
}

/** A reference that cannot name a Feature. */
export class FeatureRefError extends Error {
  override readonly name = "FeatureRefError";
}

/** The Feature collection that replaced the short ids of the old `vscode-dev-containers`. */
export const DEFAULT_COLLECTION = "ghcr.io/devcontainers/features";

/** Short ids of the old collection that the reference still maps (with a warning). */
const MIGRATED = new Set([
  "aws-cli",
  "azure-cli",
  "desktop-lite",
  "docker-in-docker",
  "docker-from-docker",
  "dotnet",
  "git",
  "git-lfs",
  "github-cli",
  "java",
  "kubectl-helm-minikube",
  "node",
  "powershell",
  "python",
  "ruby",
  "rust",
  "sshd",
  "terraform",
]);
const RENAMED: Record<string, string> = { golang: "go", common: "common-utils" };
/** Old short ids that became an option of another Feature. */
export const FOLDED_INTO_OPTIONS: Record<string, { into: string; options: Record<string, true> }> =
  {
    gradle: { into: "java", options: { installGradle: true } },
    maven: { into: "java", options: { installMaven: true } },
    jupyterlab: { into: "python", options: { installJupyterlab: true } },
  };

const FEATURE_ID = /^[a-zA-Z0-9_-]+$/;
const PATH_PART = /^[a-z0-9]+([._-][a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Where a reference is read: local Features live under the config's folder. */
export interface RefContext {
  /** The folder of the devcontainer.json that names the Feature. */
  configDir: string;
}

/**
 * Parses one Feature reference. Throws {@link FeatureRefError} with a message that quotes it.
 * Deprecated short forms (`node`, `golang`, `owner/repo/id@v`) come back with a warning.
 */
export function parseFeatureRef(userId: string, ctx: RefContext): FeatureRef {
  const id = userId.trim();
  if (id === "") throw new FeatureRefError("a Feature reference is empty");
  if (!id.includes("/") && !id.includes("\\")) return shortForm(userId, id);
  if (id.startsWith("https://")) return { userId, source: tarball(id) };
  if (id.startsWith("http://")) {
    throw new FeatureRefError(`'${id}': a tarball URL must use https`);
  }
  if (id.startsWith("./") || id.startsWith("../") || isAbsolute(id)) {
    return { userId, source: local(id, ctx) };
  }
  const first = id.split("/")[0] ?? "";
  const isHost = first.includes(".") || first.includes(":") || first === "localhost";
  if (!isHost && id.split("/").length === 3) return gitHubRelease(userId, id);
  return { userId, source: oci(id) };
}

function shortForm(userId: string, id: string): FeatureRef {
  const mapped = MIGRATED.has(id) ? id : RENAMED[id];
  if (mapped) {
    const now = `${DEFAULT_COLLECTION}/${mapped}:1`;
    return {
      userId,
      source: oci(now),
      warning: `Feature '${id}' is a deprecated short form; it now means '${now}'`,
    };
  }
  throw new FeatureRefError(
    `Feature '${id}' is not a reference: name a registry (${DEFAULT_COLLECTION}/${id}:1), a https:// tarball, or a local folder ('./${id}')`,
  );
}

function tarball(url: string): FeatureSource {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FeatureRefError(`'${url}' is not a valid URL`);
  }
  const name = parsed.pathname.slice(parsed.pathname.lastIndexOf("/") + 1);
  const match = /^devcontainer-feature-(.+)\.tgz$/.exec(name);
  if (!match?.[1] || !FEATURE_ID.test(match[1])) {
    throw new FeatureRefError(
      `'${url}': a tarball's file name must be 'devcontainer-feature-ID.tgz' (ID of letters, digits, '-' and '_')`,
    );
  }
  return { kind: "tarball", url: parsed.toString(), id: match[1] };
}

function local(path: string, ctx: RefContext): FeatureSource {
  if (isAbsolute(path)) {
    throw new FeatureRefError(
      `'${path}': a local Feature is a relative path under the config's folder`,
    );
  }
  const full = join(ctx.configDir, path);
  const rel = relative(ctx.configDir, full);
  if (rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
    throw new FeatureRefError(`'${path}': a local Feature must be inside ${ctx.configDir}`);
  }
  const id = full.split("/").filter(Boolean).at(-1) ?? "";
  return { kind: "local", path: full, id };
}

/** `owner/repo/id[@tag]`: a Feature of a GitHub release, as the first Feature versions were. */
function gitHubRelease(userId: string, id: string): FeatureRef {
  const [path = "", version = "latest", extra] = id.split("@");
  if (extra !== undefined) throw new FeatureRefError(`'${id}': '@' may appear once`);
  const [owner, repo, name = ""] = path.split("/");
  if (!owner || !repo || !FEATURE_ID.test(name)) {
    throw new FeatureRefError(`'${id}' is not a Feature reference`);
  }
  const base = `https://github.com/${owner}/${repo}/releases`;
  const url = version === "latest"
    ? `${base}/latest/download/devcontainer-feature-${name}.tgz`
    : `${base}/download/${version}/devcontainer-feature-${name}.tgz`;
  return {
    userId,
    source: tarball(url),
    warning:
      `Feature '${id}' uses the deprecated GitHub release form; it is fetched from ${url} (publish it to a registry, or name the URL)`,
  };
}

/** Parses `registry/path/id[:tag|@sha256:…]` the way the reference does (lower case). */
function oci(input: string): FeatureSource {
  const text = input.toLowerCase();
  if (text.startsWith(".")) throw new FeatureRefError(`'${input}' is not a Feature reference`);
  let resource = text;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = text.lastIndexOf("@");
  const colon = text.lastIndexOf(":");
  if (at !== -1) {
    resource = text.slice(0, at);
    digest = text.slice(at + 1);
    if (!DIGEST.test(digest)) {
      throw new FeatureRefError(`'${input}': the digest must be sha256:<64 hex digits>`);
    }
  } else if (colon > text.lastIndexOf("/")) {
    resource = text.slice(0, colon);
    tag = text.slice(colon + 1);
    if (!TAG.test(tag)) throw new FeatureRefError(`'${input}': '${tag}' is not a valid tag`);
  } else {
    tag = "latest";
  }
  const slash = resource.indexOf("/");
  const registry = resource.slice(0, slash);
  const repository = resource.slice(slash + 1);
  const parts = repository.split("/");
  const id = parts.at(-1) ?? "";
  if (slash < 1 || parts.length < 2 || !parts.every((p) => PATH_PART.test(p))) {
    throw new FeatureRefError(
      `'${input}' is not a Feature reference: expected REGISTRY/NAMESPACE/ID[:TAG], e.g. ${DEFAULT_COLLECTION}/node:1`,
    );
  }
  return {
    kind: "oci",
    registry,
    repository,
    id,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * What `installsAfter` and `overrideFeatureInstallOrder` match: the source without its version
 * (an OCI repository, a URL, a folder).
 */
export function resourceOf(source: FeatureSource): string {
  switch (source.kind) {
    case "oci":
      return `${source.registry}/${source.repository}`;
    case "tarball":
      return source.url;
    case "local":
      return source.path;
  }
}

/** How a source is shown: `registry/repo:tag`, `registry/repo@digest`, the URL, or the folder. */
export function describeSource(source: FeatureSource): string {
  if (source.kind !== "oci") return resourceOf(source);
  return source.digest
    ? `${resourceOf(source)}@${source.digest}`
    : `${resourceOf(source)}:${source.tag}`;
}
