/**
 * devaipod's own OCI distribution client: just enough of the registry API to fetch Dev
 * Container Features (a manifest and a few small tar blobs), with the Docker/OCI token flow,
 * redirects that never carry credentials to another host, and every byte verified against its
 * digest.
 */
import { z } from "zod";
import { DownloadError, NotFoundError } from "../errors.ts";
import { sha256Hex } from "../util/hash.ts";

/**
 * A repository in a registry, e.g.
 * `{registry: "ghcr.io", repository: "devcontainers/features/node"}`.
 */
export interface OciRepository {
  registry: string;
  repository: string;
}
/** An image manifest (OCI or Docker v2 schema 2). */
export interface OciManifest {
  schemaVersion: number;
  mediaType?: string;
  config?: OciDescriptor;
  layers: OciDescriptor[];
  annotations?: Record<string, string>;
}
/** A pointer to a blob: its media type, digest and size. */
export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
/** What a registry login stored: a user and password, or an identity (refresh) token. */
export type RegistryCredentials = { username: string; password: string } | {
  identityToken: string;
};
/** Effects and policy of an {@link ociClient}. */
export interface OciClientOptions {
  /** Injected for tests; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Where to read registry logins from (see `registryCredentials()`); default: none. */
  credentials?: (registry: string) => Promise<RegistryCredentials | undefined>;
  /**
   * Plain HTTP for this registry? Default: when the host is `localhost` or the 127.0.0.1 / ::1
   * loopback (with any port).
   */
  plainHttp?: (registry: string) => boolean;
}
/** Reads from OCI registries. */
export interface OciClient {
  /**
   * GETs the manifest of `reference` (a tag or `sha256:…`). Returns the manifest, its digest
   * (sha256 of the exact bytes; when `reference` is a digest, it must match, else
   * DownloadError) and the raw bytes. Accepts the OCI image manifest, Docker v2 manifest and
   * OCI index media types (an index is rejected with a DownloadError that says so).
   */
  manifest(
    repo: OciRepository,
    reference: string,
  ): Promise<{ digest: string; manifest: OciManifest; bytes: Uint8Array }>;
  /** All tags (follow `Link: <…>; rel="next"` pagination). */
  tags(repo: OciRepository): Promise<string[]>;
  /** A blob, verified against its sha256 digest (mismatch: DownloadError naming the digest). */
  blob(repo: OciRepository, digest: string): Promise<Uint8Array>;
}

const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  INDEX_TYPE,
].join(", ");
const MAX_REDIRECTS = 5;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

const annotations = z.record(z.string(), z.string()).optional();
const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  annotations,
});
const ManifestSchema = z.object({
  schemaVersion: z.number().int(),
  mediaType: z.string().optional(),
  config: DescriptorSchema.optional(),
  layers: z.array(DescriptorSchema),
  annotations,
});
const TagListSchema = z.object({ tags: z.array(z.string()).nullish() });
const TokenSchema = z.union([
  z.object({ token: z.string().min(1) }),
  z.object({ access_token: z.string().min(1) }),
]);
const ErrorBodySchema = z.object({ errors: z.array(z.object({ message: z.string() })).min(1) });

/**
 * A manifest's bytes, checked: a {@link DownloadError} starting with `fail` when they are not JSON
 * or not an image manifest (an index says so).
 */
export function parseManifest(bytes: Uint8Array, fail: string): OciManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new DownloadError(`${fail}: not JSON: ${messageOf(err)}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const index = z.object({ mediaType: z.literal(INDEX_TYPE) }).safeParse(json).success;
    const issue = parsed.error.issues[0];
    throw new DownloadError(
      `${fail}: ${
        index
          ? "it is an image index, not a manifest"
          : `not a manifest: ${issue?.path.join(".") || "(top)"}: ${issue?.message}`
      }`,
    );
  }
  return parsed.data;
}

/** One challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…"`. */
interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** The challenges of a `WWW-Authenticate` header (RFC 9110: quoted values may hold commas). */
function parseChallenges(header: string): Challenge[] {
  const token = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
  const part = new RegExp(
    `[\\s,]*(?:(${token})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,]*))|(${token}))`,
    "y",
  );
  const challenges: Challenge[] = [];
  for (let m = part.exec(header); m; m = part.exec(header)) {
    const [, name, quoted, bare, scheme] = m;
    if (scheme) challenges.push({ scheme: scheme.toLowerCase(), params: {} });
    else if (name) {
      const value = quoted === undefined ? bare ?? "" : quoted.replace(/\\(.)/g, "$1");
      const current = challenges.at(-1);
      if (current) current.params[name.toLowerCase()] = value;
    }
  }
  return challenges;
}

/** The default of {@link OciClientOptions.plainHttp}: loopback hosts, with any port. */
function isLoopback(registry: string): boolean {
  if (registry === "::1") return true;
  try {
    return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(`http://${registry}`).hostname);
  } catch {
    return false;
  }
}

const messageOf = (err: unknown) => err instanceof Error ? err.message : String(err);

const basic = (user: string, password: string) =>
  `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;

/** The registry's own message (`errors[0].message` of its JSON), when it sent one. */
function registryMessage(text: string): string | undefined {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.errors[0]?.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An OCI distribution client. It tries each request anonymously first, answers a registry's
 * 401 challenge (caching the token per registry and repository), and follows redirects by
 * hand so that the `Authorization` header never leaves the registry's origin.
 *
 * @example
 * ```ts
 * const client = ociClient({ credentials: registryCredentials(Deno.env) });
 * const repo = { registry: "ghcr.io", repository: "devcontainers/features/node" };
 * const { manifest } = await client.manifest(repo, "1");
 * for (const layer of manifest.layers) await client.blob(repo, layer.digest);
 * ```
 */
export function ociClient(options: OciClientOptions = {}): OciClient {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const plainHttp = options.plainHttp ?? isLoopback;
  /** `Authorization` values by `registry scope`. */
  const authorizations = new Map<string, string>();

  const named = (repo: OciRepository, what: string) =>
    `Cannot get ${what} of '${repo.registry}/${repo.repository}'`;
  const base = (repo: OciRepository) =>
    new URL(`${plainHttp(repo.registry) ? "http" : "https"}://${repo.registry}/v2/`);

  /** Fetches `url`, following up to 5 redirects; `Authorization` only goes to `origin`. */
  async function send(url: URL, init: RequestInit, origin: string, fail: string) {
    for (let hop = 0;; hop++) {
      const headers = new Headers(init.headers);
      if (url.origin !== origin) headers.delete("authorization");
      let res: Response;
      try {
        res = await fetchFn(url, { ...init, headers, redirect: "manual" });
      } catch (err) {
        throw new DownloadError(`${fail}: cannot reach '${url.host}': ${messageOf(err)}`, {
          cause: err,
        });
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status > 399 || location === null) return res;
      await res.body?.cancel();
      if (hop === MAX_REDIRECTS) throw new DownloadError(`${fail}: more than 5 redirects`);
      url = new URL(location, url);
    }
  }

  /** The error for a response that is not 2xx (its body already read as `text`). */
  function failure(repo: OciRepository, fail: string, status: number, text: string) {
    const message = registryMessage(text);
    const detail = message ? ` (${message})` : "";
    if (status === 404) return new NotFoundError(`${fail}: not found${detail}`);
    if (status === 401 || status === 403) {
      return new DownloadError(`${fail}: access denied (HTTP ${status})${detail}`, {
        hint: `log in with \`podman login ${repo.registry}\` if the repository is private`,
      });
    }
    return new DownloadError(`${fail}: HTTP ${status}${detail}`);
  }

  /** The `Authorization` value that answers `challenge`, or undefined when none can. */
  async function authorize(repo: OciRepository, header: string, scope: string, fail: string) {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    const credentials = await options.credentials?.(repo.registry);
    if (bearer?.params.realm) {
      const realm = URL.parse(bearer.params.realm);
      if (!realm) throw new DownloadError(`${fail}: bad token realm '${bearer.params.realm}'`);
      const service = bearer.params.service;
      let init: RequestInit;
      if (credentials && "identityToken" in credentials) {
        // The token spec's documented use of an identity token is an OAuth2 refresh token
        // grant (POST); registries need not accept it as a Basic password.
        const form = new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: credentials.identityToken,
          client_id: "devaipod",
          scope,
          ...(service ? { service } : {}),
        });
        init = { method: "POST", body: form };
      } else {
        if (service) realm.searchParams.set("service", service);
        realm.searchParams.set("scope", scope);
        init = credentials
          ? { headers: { authorization: basic(credentials.username, credentials.password) } }
          : {};
      }
      const res = await send(realm, init, realm.origin, fail);
      const text = await res.text();
      if (!res.ok) {
        throw failure(repo, `${fail}: token service '${realm.origin}'`, res.status, text);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch { /* reported below */ }
      const token = TokenSchema.safeParse(json);
      if (!token.success) throw new DownloadError(`${fail}: token service answered no token`);
      return `Bearer ${"token" in token.data ? token.data.token : token.data.access_token}`;
    }
    if (challenges.some((c) => c.scheme === "basic") && credentials && "username" in credentials) {
      return basic(credentials.username, credentials.password);
    }
    return undefined;
  }

  /** GETs `url` of `repo`, authenticating on a 401; returns a 2xx response or throws. */
  async function get(repo: OciRepository, url: URL, fail: string, accept?: string) {
    const scope = `repository:${repo.repository}:pull`;
    const key = `${repo.registry} ${scope}`;
    const origin = base(repo).origin;
    const request = (auth: string | undefined) => {
      const headers = new Headers(accept ? { accept } : {});
      if (auth) headers.set("authorization", auth);
      return send(url, { headers }, origin, fail);
    };
    let res = await request(authorizations.get(key));
    if (res.status === 401) {
      const text = await res.text();
      const auth = await authorize(repo, res.headers.get("www-authenticate") ?? "", scope, fail);
      if (!auth) throw failure(repo, fail, res.status, text);
      authorizations.set(key, auth);
      res = await request(auth);
    }
    if (res.ok) return res;
    throw failure(repo, fail, res.status, await res.text());
  }

  /** Throws unless `ref` is a sha256 digest (the one algorithm devaipod verifies) or a tag. */
  function checkReference(ref: string, fail: string, tag: boolean) {
    if (DIGEST.test(ref) || (tag && TAG.test(ref))) return;
    throw new DownloadError(`${fail}: '${ref}' is not ${tag ? "a tag or " : ""}a sha256 digest`);
  }

  return {
    async manifest(repo, reference) {
      const fail = named(repo, `manifest '${reference}'`);
      checkReference(reference, fail, true);
      const url = new URL(`${repo.repository}/manifests/${reference}`, base(repo));
      const res = await get(repo, url, fail, MANIFEST_ACCEPT);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const digest = `sha256:${await sha256Hex(bytes)}`;
      if (reference.includes(":") && digest !== reference) {
        throw new DownloadError(`${fail}: its content does not match the digest (got '${digest}')`);
      }
      const manifest = parseManifest(bytes, fail);
      return { digest, manifest, bytes };
    },

    async tags(repo) {
      const fail = named(repo, "tags");
      const tags: string[] = [];
      const seen = new Set<string>();
      let url: URL | undefined = new URL(`${repo.repository}/tags/list`, base(repo));
      while (url && !seen.has(url.href)) {
        seen.add(url.href);
        const res = await get(repo, url, fail);
        const parsed = TagListSchema.safeParse(await res.json().catch(() => undefined));
        if (!parsed.success) throw new DownloadError(`${fail}: not a tag list`);
        tags.push(...parsed.data.tags ?? []);
        const next = res.headers.get("link")?.match(/<([^>]*)>\s*;\s*rel="?next"?/);
        url = next?.[1] === undefined ? undefined : new URL(next[1], url);
      }
      return tags;
    },

    async blob(repo, digest) {
      const fail = named(repo, `blob '${digest}'`);
      checkReference(digest, fail, false);
      const url = new URL(`${repo.repository}/blobs/${digest}`, base(repo));
      const bytes = new Uint8Array(await (await get(repo, url, fail)).arrayBuffer());
      const actual = `sha256:${await sha256Hex(bytes)}`;
      if (actual !== digest) {
        throw new DownloadError(`${fail}: its content does not match the digest (got '${actual}')`);
      }
      return bytes;
    },
  };
}
