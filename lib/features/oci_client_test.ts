import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { DownloadError, NotFoundError } from "../errors.ts";
import { sha256Hex } from "../util/hash.ts";
import { ociClient, type OciClientOptions, type OciRepository } from "./oci_client.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const encoder = new TextEncoder();
const digestOf = async (bytes: Uint8Array) => `sha256:${await sha256Hex(bytes)}`;
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });
const distributionError = (status: number, code: string, message: string) =>
  json({ errors: [{ code, message }] }, status);

const LAYER = encoder.encode("a Feature's tarball");
const WRONG_LAYER = encoder.encode("the Feature the registry should have sent");
const TAGS = ["1", "1.0", "1.0.1", "2", "latest"];

/** What the stand-in registry saw, and how to reach it. */
interface StandIn {
  registry: string;
  /** The Feature's repository (anonymous bearer tokens, like a public ghcr.io package). */
  repo: OciRepository;
  manifestBytes: Uint8Array;
  manifestDigest: string;
  layerDigest: string;
  /** A digest whose blob the registry serves with other content. */
  badDigest: string;
  tokenRequests: URL[];
  /** The Authorization headers that reached the blob storage host (the other port). */
  storageAuthorizations: (string | null)[];
}

/**
 * A registry on 127.0.0.1 that behaves like ghcr.io: 401 with a Bearer challenge, a token
 * endpoint, manifests that need the right Accept header, paginated tags, blobs that redirect
 * to storage on another port. `private/*` needs user `me` / `secret` at the token endpoint,
 * `basic/*` asks for Basic auth, `refresh/*` takes an identity token by POST.
 */
async function withStandIn(fn: (r: StandIn) => Promise<void>): Promise<void> {
  const layerDigest = await digestOf(LAYER);
  const badDigest = await digestOf(encoder.encode("what the layer should be"));
  const storageAuthorizations: (string | null)[] = [];
  const storage = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    storageAuthorizations.push(req.headers.get("authorization"));
    return new URL(req.url).pathname === `/blobs/${layerDigest}`
      ? new Response(LAYER.slice())
      : new Response("no such object", { status: 404 });
  });
  const manifestBytes = encoder.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.devcontainers", digest: layerDigest, size: 0 },
    layers: [{
      mediaType: "application/vnd.devcontainers.layer.v1+tar",
      digest: layerDigest,
      size: LAYER.length,
      annotations: { "org.opencontainers.image.title": "devcontainer-feature-node.tgz" },
    }],
  }));
  const manifestDigest = await digestOf(manifestBytes);
  const tokenRequests: URL[] = [];
  const issued = new Set<string>();
  let origin = "";

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const authorization = req.headers.get("authorization");
    if (url.pathname === "/token") {
      tokenRequests.push(url);
      const scope = req.method === "POST"
        ? new URLSearchParams(await req.text())
        : url.searchParams;
      if (scope.get("scope")?.startsWith("repository:private/")) {
        if (authorization !== `Basic ${btoa("me:secret")}`) {
          return distributionError(401, "UNAUTHORIZED", "authentication required");
        }
      }
      if (scope.get("scope")?.startsWith("repository:refresh/")) {
        if (scope.get("grant_type") !== "refresh_token" || scope.get("refresh_token") !== "idt") {
          return distributionError(401, "UNAUTHORIZED", "bad refresh token");
        }
        const token = `access-${issued.size}`;
        issued.add(token);
        return json({ access_token: token });
      }
      const token = `token-${issued.size}`;
      issued.add(token);
      return json({ token });
    }
    const m = url.pathname.match(/^\/v2\/(.+)\/(manifests|blobs|tags)\/([^/]+)$/);
    if (!m) return distributionError(404, "NOT_FOUND", "no route");
    const [, repository = "", kind, ref = ""] = m;
    if (repository.startsWith("basic/")) {
      if (authorization !== `Basic ${btoa("me:secret")}`) {
        return new Response("", {
          status: 401,
          headers: { "www-authenticate": `Basic realm="stand-in"` },
        });
      }
    } else if (!issued.has(authorization?.replace(/^Bearer /, "") ?? "")) {
      const challenge = `Bearer realm="${origin}/token",service="stand-in",` +
        `scope="repository:${repository}:pull"`;
      return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "x" }] }), {
        status: 401,
        headers: { "www-authenticate": challenge },
      });
    }
    if (repository.endsWith("/broken")) return distributionError(500, "UNKNOWN", "disk on fire");
    if (kind === "manifests") {
      const accepted = (req.headers.get("accept") ?? "").split(/\s*,\s*/).includes(OCI_MANIFEST);
      const wrongDigest = `sha256:${"0".repeat(64)}`;
      if (accepted && (ref === "1" || ref === manifestDigest || ref === wrongDigest)) {
        return new Response(manifestBytes.slice(), {
          headers: { "content-type": OCI_MANIFEST, "docker-content-digest": manifestDigest },
        });
      }
      return distributionError(404, "MANIFEST_UNKNOWN", "manifest unknown");
    }
    if (kind === "tags") {
      const n = Number(url.searchParams.get("n") ?? 2);
      const last = url.searchParams.get("last");
      const start = last === null ? 0 : TAGS.indexOf(last) + 1;
      const page = TAGS.slice(start, start + n);
      const more = start + n < TAGS.length;
      return json(
        { name: repository, tags: page },
        200,
        more
          ? { link: `</v2/${repository}/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"` }
          : {},
      );
    }
    if (ref === layerDigest) {
      return new Response(null, {
        status: 307,
        headers: { location: `http://127.0.0.1:${storage.addr.port}/blobs/${ref}?sig=x` },
      });
    }
    if (ref === badDigest) return new Response(WRONG_LAYER.slice());
    return distributionError(404, "BLOB_UNKNOWN", "blob unknown to registry");
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  const registry = `127.0.0.1:${server.addr.port}`;
  try {
    await fn({
      registry,
      repo: { registry, repository: "devcontainers/features/node" },
      manifestBytes,
      manifestDigest,
      layerDigest,
      badDigest,
      tokenRequests,
      storageAuthorizations,
    });
  } finally {
    await server.shutdown();
    await storage.shutdown();
  }
}

const plain: OciClientOptions = { plainHttp: () => true };

Deno.test("ociClient() gets an anonymous bearer token and reuses it", async () => {
  await withStandIn(async (r) => {
    const client = ociClient(plain);
    const { manifest, digest, bytes } = await client.manifest(r.repo, "1");
    assertEquals(digest, r.manifestDigest);
    assertEquals(bytes, r.manifestBytes);
    assertEquals(manifest.layers.map((l) => l.digest), [r.layerDigest]);
    assertEquals(await client.tags(r.repo), TAGS);
    assertEquals(await client.blob(r.repo, r.layerDigest), LAYER);
    assertEquals(r.tokenRequests.length, 1);
    const [token] = r.tokenRequests;
    assertEquals(token?.searchParams.get("service"), "stand-in");
    assertEquals(token?.searchParams.get("scope"), "repository:devcontainers/features/node:pull");
  });
});

Deno.test("ociClient() gets a manifest by digest and verifies the digest", async () => {
  await withStandIn(async (r) => {
    const client = ociClient(plain);
    assertEquals((await client.manifest(r.repo, r.manifestDigest)).digest, r.manifestDigest);
    const wrong = `sha256:${"0".repeat(64)}`;
    const err = await assertRejects(() => client.manifest(r.repo, wrong), DownloadError);
    assertMatch(err.message, new RegExp(`manifest '${wrong}'.*does not match the digest`));
    await assertRejects(() => client.manifest(r.repo, "sha512:abc"), /a tag or a sha256 digest$/);
    await assertRejects(() => client.manifest(r.repo, "../1"), /'\.\.\/1' is not a tag or/);
    await assertRejects(() => client.blob(r.repo, "latest"), /'latest' is not a sha256 digest$/);
  });
});

Deno.test("ociClient() reports a missing manifest as NotFoundError with the registry's message", async () => {
  await withStandIn(async (r) => {
    const err = await assertRejects(() => ociClient(plain).manifest(r.repo, "9"), NotFoundError);
    assertEquals(
      err.message,
      `Cannot get manifest '9' of '${r.registry}/devcontainers/features/node': ` +
        "not found (manifest unknown)",
    );
  });
});

Deno.test("ociClient() follows a blob redirect without sending Authorization to the other host", async () => {
  await withStandIn(async (r) => {
    assertEquals(await ociClient(plain).blob(r.repo, r.layerDigest), LAYER);
    assertEquals(r.storageAuthorizations, [null]);
  });
});

Deno.test("ociClient() rejects a blob whose content does not match its digest", async () => {
  await withStandIn(async (r) => {
    const err = await assertRejects(
      () => ociClient(plain).blob(r.repo, r.badDigest),
      DownloadError,
    );
    assertMatch(err.message, new RegExp(`blob '${r.badDigest}'.*does not match the digest`));
  });
});

Deno.test("ociClient() sends username and password to the token service", async () => {
  await withStandIn(async (r) => {
    const repo = { registry: r.registry, repository: "private/feature" };
    const anonymous = await assertRejects(() => ociClient(plain).tags(repo), DownloadError);
    assertMatch(anonymous.message, /token service.*access denied \(HTTP 401\)/);
    assertEquals(
      anonymous.hint,
      `log in with \`podman login ${r.registry}\` if the repository is private`,
    );
    const credentials = () => Promise.resolve({ username: "me", password: "secret" });
    assertEquals(await ociClient({ ...plain, credentials }).tags(repo), TAGS);
  });
});

Deno.test("ociClient() uses an identity token as an OAuth2 refresh token", async () => {
  await withStandIn(async (r) => {
    const repo = { registry: r.registry, repository: "refresh/feature" };
    const credentials = () => Promise.resolve({ identityToken: "idt" });
    assertEquals(await ociClient({ ...plain, credentials }).tags(repo), TAGS);
  });
});

Deno.test("ociClient() answers a Basic challenge with the registry's credentials", async () => {
  await withStandIn(async (r) => {
    const repo = { registry: r.registry, repository: "basic/feature" };
    const err = await assertRejects(() => ociClient(plain).tags(repo), DownloadError);
    assertMatch(err.message, /access denied \(HTTP 401\)$/);
    const credentials = (registry: string) =>
      Promise.resolve(registry === r.registry ? { username: "me", password: "secret" } : undefined);
    assertEquals(await ociClient({ ...plain, credentials }).tags(repo), TAGS);
    assertEquals(r.tokenRequests.length, 0);
  });
});

Deno.test("ociClient() passes the registry's error message through", async () => {
  await withStandIn(async (r) => {
    const repo = { registry: r.registry, repository: "features/broken" };
    const err = await assertRejects(() => ociClient(plain).tags(repo), DownloadError);
    assertEquals(
      err.message,
      `Cannot get tags of '${r.registry}/features/broken': HTTP 500 (disk on fire)`,
    );
  });
});

/** A fetch that answers from `respond` and records each request. */
function fakeFetch(respond: (url: URL, init: RequestInit | undefined) => Response) {
  const requests: { url: URL; init: RequestInit | undefined }[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    requests.push({ url, init });
    return Promise.resolve(respond(url, init));
  };
  return { fetch, requests };
}

Deno.test("ociClient() uses plain HTTP only for loopback registries by default", async () => {
  const { fetch, requests } = fakeFetch(() => json({ tags: [] }));
  const client = ociClient({ fetch });
  for (
    const registry of ["localhost:5000", "127.0.0.1", "[::1]:5000", "ghcr.io", "127.0.0.1.nip.io"]
  ) {
    await client.tags({ registry, repository: "f" });
  }
  assertEquals(requests.map((r) => r.url.href), [
    "http://localhost:5000/v2/f/tags/list",
    "http://127.0.0.1/v2/f/tags/list",
    "http://[::1]:5000/v2/f/tags/list",
    "https://ghcr.io/v2/f/tags/list",
    "https://127.0.0.1.nip.io/v2/f/tags/list",
  ]);
});

Deno.test("ociClient() reads challenges whose quoted values hold commas", async () => {
  const challenge = `Bearer realm="https://auth.example/token?a=1,2",` +
    `service="registry, example", scope="repository:f:pull,push",error="insufficient_scope"`;
  const { fetch, requests } = fakeFetch((url, init) => {
    if (url.host === "auth.example") return json({ access_token: "t" });
    const authorized = new Headers(init?.headers).get("authorization") === "Bearer t";
    return authorized
      ? json({ tags: ["1"] })
      : new Response("", { status: 401, headers: { "www-authenticate": challenge } });
  });
  assertEquals(await ociClient({ fetch }).tags({ registry: "registry.example", repository: "f" }), [
    "1",
  ]);
  const token = requests[1]?.url;
  assertEquals(token?.origin + (token?.pathname ?? ""), "https://auth.example/token");
  assertEquals(token?.searchParams.get("a"), "1,2");
  assertEquals(token?.searchParams.get("service"), "registry, example");
  assertEquals(token?.searchParams.get("scope"), "repository:f:pull");
});

Deno.test("ociClient() names the registry when it cannot reach it", async () => {
  const cause = new TypeError("connection refused");
  const fetch = () => Promise.reject(cause);
  const err = await assertRejects(
    () => ociClient({ fetch }).tags({ registry: "ghcr.io", repository: "o/f" }),
    DownloadError,
  );
  assertEquals(
    err.message,
    "Cannot get tags of 'ghcr.io/o/f': cannot reach 'ghcr.io': connection refused",
  );
  assert(err.cause === cause);
});

Deno.test("ociClient() stops after 5 redirects", async () => {
  const { fetch, requests } = fakeFetch((url) =>
    new Response(null, { status: 302, headers: { location: `${url.pathname}x` } })
  );
  await assertRejects(
    () => ociClient({ fetch }).tags({ registry: "ghcr.io", repository: "o/f" }),
    /more than 5 redirects$/,
  );
  assertEquals(requests.length, 6);
});

Deno.test("ociClient() says when a tag names an image index instead of a manifest", async () => {
  const { fetch } = fakeFetch(() =>
    json({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] })
  );
  await assertRejects(
    () => ociClient({ fetch }).manifest({ registry: "ghcr.io", repository: "o/f" }, "1"),
    /'1' of 'ghcr.io\/o\/f': it is an image index, not a manifest$/,
  );
});
