import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import {
  DEFAULT_COLLECTION,
  describeSource,
  FeatureRefError,
  parseFeatureRef,
  resourceOf,
} from "./feature_ref.ts";
import type { FeatureSource } from "./feature_ref.ts";

const CONFIG_DIR = "/p/.devcontainer";
const ctx = { configDir: CONFIG_DIR };
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const parse = (id: string) => parseFeatureRef(id, ctx);

// --- OCI references ---------------------------------------------------------------------------

const ociCases: { name: string; ref: string; source: FeatureSource }[] = [
  {
    name: "a tag",
    ref: "ghcr.io/devcontainers/features/node:1",
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "devcontainers/features/node",
      id: "node",
      tag: "1",
    },
  },
  {
    name: "a dotted tag",
    ref: "ghcr.io/devcontainers/features/node:1.2.3",
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "devcontainers/features/node",
      id: "node",
      tag: "1.2.3",
    },
  },
  {
    name: "no version as the tag 'latest'",
    ref: "ghcr.io/devcontainers/features/node",
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "devcontainers/features/node",
      id: "node",
      tag: "latest",
    },
  },
  {
    name: "a digest (and no tag)",
    ref: `ghcr.io/devcontainers/features/node@${DIGEST}`,
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "devcontainers/features/node",
      id: "node",
      digest: DIGEST,
    },
  },
  {
    name: "a registry with a port and a tag",
    ref: "localhost:5000/a/b/c:1",
    source: { kind: "oci", registry: "localhost:5000", repository: "a/b/c", id: "c", tag: "1" },
  },
  {
    name: "a registry with a port and no tag as 'latest'",
    ref: "localhost:5000/a/b/c",
    source: {
      kind: "oci",
      registry: "localhost:5000",
      repository: "a/b/c",
      id: "c",
      tag: "latest",
    },
  },
  {
    name: "a registry with a port and a digest",
    ref: `127.0.0.1:5000/a/c@${DIGEST}`,
    source: { kind: "oci", registry: "127.0.0.1:5000", repository: "a/c", id: "c", digest: DIGEST },
  },
  {
    name: "'localhost' without a port as a registry",
    ref: "localhost/a/b/c:2",
    source: { kind: "oci", registry: "localhost", repository: "a/b/c", id: "c", tag: "2" },
  },
  {
    name: "a two-part repository on a dotted host",
    ref: "example.com/ns/tool:3",
    source: { kind: "oci", registry: "example.com", repository: "ns/tool", id: "tool", tag: "3" },
  },
  {
    name: "a deep repository",
    ref: "example.com/a/b/c/d/tool:3",
    source: {
      kind: "oci",
      registry: "example.com",
      repository: "a/b/c/d/tool",
      id: "tool",
      tag: "3",
    },
  },
  {
    name: "upper case, lowered (registry, path and tag)",
    ref: "GHCR.io/DevContainers/Features/Node:LTS",
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "devcontainers/features/node",
      id: "node",
      tag: "lts",
    },
  },
  {
    name: "an upper-case digest, lowered",
    ref: `ghcr.io/o/c/node@${DIGEST.toUpperCase()}`,
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "o/c/node",
      id: "node",
      digest: DIGEST,
    },
  },
  {
    name: "path parts with '.', '_' and '-' separators",
    ref: "ghcr.io/my-org/my_collection.v2/go-tool:1",
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "my-org/my_collection.v2/go-tool",
      id: "go-tool",
      tag: "1",
    },
  },
];

for (const { name, ref, source } of ociCases) {
  Deno.test(`parseFeatureRef() reads an OCI reference with ${name}`, () => {
    assertEquals(parse(ref), { userId: ref, source });
  });
}

Deno.test("parseFeatureRef() keeps the key as written but parses it trimmed", () => {
  const ref = "  ghcr.io/o/c/node:1 ";
  assertEquals(parse(ref), {
    userId: ref,
    source: { kind: "oci", registry: "ghcr.io", repository: "o/c/node", id: "node", tag: "1" },
  });
});

const badOci: { name: string; ref: string; message: RegExp }[] = [
  {
    name: "a tag that starts with '-'",
    ref: "ghcr.io/o/c/node:-1",
    message: /'ghcr\.io\/o\/c\/node:-1': '-1' is not a valid tag/,
  },
  {
    name: "an empty tag",
    ref: "ghcr.io/o/c/node:",
    message: /'' is not a valid tag/,
  },
  {
    name: "a tag longer than 128 characters",
    ref: `ghcr.io/o/c/node:${"a".repeat(129)}`,
    message: /is not a valid tag/,
  },
  {
    name: "a short digest",
    ref: "ghcr.io/o/c/node@sha256:abc",
    message: /the digest must be sha256:<64 hex digits>/,
  },
  {
    name: "a digest of another algorithm",
    ref: `ghcr.io/o/c/node@sha512:${"a".repeat(64)}`,
    message: /the digest must be sha256/,
  },
  {
    name: "a tag and a digest together",
    ref: `ghcr.io/o/c/node:1@${DIGEST}`,
    message: /is not a Feature reference: expected REGISTRY\/NAMESPACE\/ID\[:TAG\]/,
  },
  {
    name: "a registry without a namespace",
    ref: "ghcr.io/node:1",
    message: /'ghcr\.io\/node:1' is not a Feature reference: expected REGISTRY\/NAMESPACE\/ID/,
  },
  {
    name: "an empty path part",
    ref: "ghcr.io/o//node:1",
    message: /is not a Feature reference/,
  },
  {
    name: "a path part with a space",
    ref: "ghcr.io/o/c/no de:1",
    message: /is not a Feature reference/,
  },
  {
    name: "a path part that ends in a separator",
    ref: "ghcr.io/o/c-/node:1",
    message: /is not a Feature reference/,
  },
  {
    name: "a two-part path without a registry",
    ref: "owner/node",
    message: /'owner\/node' is not a Feature reference/,
  },
  {
    name: "a dotted first part that looks like a hidden folder",
    ref: ".hidden/o/node",
    message: /'\.hidden\/o\/node' is not a Feature reference/,
  },
];

for (const { name, ref, message } of badOci) {
  Deno.test(`parseFeatureRef() refuses an OCI reference with ${name}`, () => {
    assertThrows(() => parse(ref), FeatureRefError);
    assertThrows(() => parse(ref), message);
  });
}

Deno.test("parseFeatureRef() refuses an empty or blank reference", () => {
  for (const ref of ["", "   ", "\t"]) {
    const err = assertThrows(() => parse(ref), FeatureRefError);
    assertEquals(err.message, "a Feature reference is empty");
    assertEquals(err.name, "FeatureRefError");
  }
});

// --- tarballs --------------------------------------------------------------------------------

const tarballs: { ref: string; url: string; id: string }[] = [
  {
    ref: "https://example.com/features/devcontainer-feature-go.tgz",
    url: "https://example.com/features/devcontainer-feature-go.tgz",
    id: "go",
  },
  {
    ref: "https://example.com/devcontainer-feature-my_tool-2.tgz",
    url: "https://example.com/devcontainer-feature-my_tool-2.tgz",
    id: "my_tool-2",
  },
  {
    ref: "https://example.com:8443/x/devcontainer-feature-Tool.tgz?token=abc",
    url: "https://example.com:8443/x/devcontainer-feature-Tool.tgz?token=abc",
    id: "Tool",
  },
  {
    ref: "https://EXAMPLE.com/a/../devcontainer-feature-go.tgz",
    url: "https://example.com/devcontainer-feature-go.tgz",
    id: "go",
  },
];

for (const { ref, url, id } of tarballs) {
  Deno.test(`parseFeatureRef() reads the tarball URL ${ref} as the Feature '${id}'`, () => {
    assertEquals(parse(ref), { userId: ref, source: { kind: "tarball", url, id } });
  });
}

const badTarballs: { name: string; ref: string; message: RegExp }[] = [
  {
    name: "a file name without the prefix",
    ref: "https://example.com/go.tgz",
    message: /a tarball's file name must be 'devcontainer-feature-ID\.tgz'/,
  },
  {
    name: "a .tar.gz file",
    ref: "https://example.com/devcontainer-feature-go.tar.gz",
    message: /must be 'devcontainer-feature-ID\.tgz'/,
  },
  {
    name: "an empty id",
    ref: "https://example.com/devcontainer-feature-.tgz",
    message: /must be 'devcontainer-feature-ID\.tgz'/,
  },
  {
    name: "a dotted id",
    ref: "https://example.com/devcontainer-feature-a.b.tgz",
    message: /ID of letters, digits, '-' and '_'/,
  },
  {
    name: "no file name",
    ref: "https://example.com/",
    message: /must be 'devcontainer-feature-ID\.tgz'/,
  },
  {
    name: "no host",
    ref: "https://",
    message: /'https:\/\/' is not a valid URL/,
  },
  {
    name: "plain http",
    ref: "http://example.com/devcontainer-feature-go.tgz",
    message: /'http:\/\/example\.com\/devcontainer-feature-go\.tgz': a tarball URL must use https/,
  },
];

for (const { name, ref, message } of badTarballs) {
  Deno.test(`parseFeatureRef() refuses a tarball URL with ${name}`, () => {
    assertThrows(() => parse(ref), FeatureRefError);
    assertThrows(() => parse(ref), message);
  });
}

// --- local folders ---------------------------------------------------------------------------

const locals: { ref: string; path: string; id: string }[] = [
  { ref: "./local-feature", path: `${CONFIG_DIR}/local-feature`, id: "local-feature" },
  { ref: "./features/a", path: `${CONFIG_DIR}/features/a`, id: "a" },
  { ref: "./features/a/", path: `${CONFIG_DIR}/features/a/`, id: "a" },
  { ref: "./x/../y", path: `${CONFIG_DIR}/y`, id: "y" },
  { ref: "../.devcontainer/back-in", path: `${CONFIG_DIR}/back-in`, id: "back-in" },
  { ref: "./..dots", path: `${CONFIG_DIR}/..dots`, id: "..dots" },
];

for (const { ref, path, id } of locals) {
  Deno.test(`parseFeatureRef() reads '${ref}' as a folder inside the config's folder`, () => {
    assertEquals(parse(ref), { userId: ref, source: { kind: "local", path, id } });
  });
}

const escaping = ["../other", "../", "./", ".", "./a/../..", "../../etc", "./../.devcontainer"];
for (const ref of escaping) {
  Deno.test(`parseFeatureRef() refuses '${ref}', which is not inside the config's folder`, () => {
    if (ref === ".") {
      // Has no '/': a short id, and not a known one.
      assertThrows(() => parse(ref), /is not a reference/);
      return;
    }
    assertThrows(() => parse(ref), FeatureRefError);
    assertThrows(
      () => parse(ref),
      new RegExp(`a local Feature must be inside ${CONFIG_DIR.replaceAll(".", "\\.")}$`),
    );
  });
}

Deno.test("parseFeatureRef() refuses an absolute path to a local Feature", () => {
  for (const ref of ["/p/.devcontainer/a", "/abs/feature"]) {
    const err = assertThrows(() => parse(ref), FeatureRefError);
    assertEquals(
      err.message,
      `'${ref}': a local Feature is a relative path under the config's folder`,
    );
  }
});

// --- deprecated forms --------------------------------------------------------------------------

const shortIds: { old: string; now: string }[] = [
  { old: "node", now: "node" },
  { old: "golang", now: "go" },
  { old: "common", now: "common-utils" },
  { old: "docker-in-docker", now: "docker-in-docker" },
  { old: "python", now: "python" },
];

for (const { old, now } of shortIds) {
  Deno.test(
    `parseFeatureRef() maps the deprecated short id '${old}' to ${DEFAULT_COLLECTION}/${now}:1 with a warning`,
    () => {
      const ref = parse(old);
      assertEquals(ref.userId, old);
      assertEquals(ref.source, {
        kind: "oci",
        registry: "ghcr.io",
        repository: `devcontainers/features/${now}`,
        id: now,
        tag: "1",
      });
      assertEquals(
        ref.warning,
        `Feature '${old}' is a deprecated short form; it now means '${DEFAULT_COLLECTION}/${now}:1'`,
      );
    },
  );
}

Deno.test("parseFeatureRef() gives no warning for a full reference", () => {
  assertEquals(parse("ghcr.io/devcontainers/features/node:1").warning, undefined);
  assertEquals("warning" in parse("./a"), false);
});

Deno.test("parseFeatureRef() refuses an unknown bare id, suggesting the three forms", () => {
  for (const id of ["my-feature", "Node", "gradle"]) {
    const err = assertThrows(() => parse(id), FeatureRefError);
    assertEquals(
      err.message,
      `Feature '${id}' is not a reference: name a registry (${DEFAULT_COLLECTION}/${id}:1), a https:// tarball, or a local folder ('./${id}')`,
    );
  }
});

const releases: { ref: string; url: string; id: string }[] = [
  {
    ref: "owner/repo/tool@v1",
    url: "https://github.com/owner/repo/releases/download/v1/devcontainer-feature-tool.tgz",
    id: "tool",
  },
  {
    ref: "owner/repo/tool@1.2.3",
    url: "https://github.com/owner/repo/releases/download/1.2.3/devcontainer-feature-tool.tgz",
    id: "tool",
  },
  {
    ref: "owner/repo/tool",
    url: "https://github.com/owner/repo/releases/latest/download/devcontainer-feature-tool.tgz",
    id: "tool",
  },
  {
    ref: "owner/repo/tool@latest",
    url: "https://github.com/owner/repo/releases/latest/download/devcontainer-feature-tool.tgz",
    id: "tool",
  },
];

for (const { ref, url, id } of releases) {
  Deno.test(`parseFeatureRef() maps the GitHub release form '${ref}' to ${url} with a warning`, () => {
    const parsed = parse(ref);
    assertEquals(parsed.userId, ref);
    assertEquals(parsed.source, { kind: "tarball", url, id });
    assertEquals(
      parsed.warning,
      `Feature '${ref}' uses the deprecated GitHub release form; it is fetched from ${url} (publish it to a registry, or name the URL)`,
    );
  });
}

Deno.test("parseFeatureRef() refuses a GitHub release form with two '@'", () => {
  assertThrows(
    () => parse("owner/repo/tool@v1@v2"),
    /'owner\/repo\/tool@v1@v2': '@' may appear once/,
  );
});

Deno.test("parseFeatureRef() refuses a GitHub release form whose id is not a Feature id", () => {
  for (const ref of ["owner/repo/to.ol", "owner/repo/tool:1", "owner//tool", "owner/repo/"]) {
    const err = assertThrows(() => parse(ref), FeatureRefError);
    assertMatch(err.message, /is not a Feature reference/, ref);
  }
});

Deno.test("parseFeatureRef() treats three parts under a host-like first part as OCI, not GitHub", () => {
  for (const ref of ["my.registry/ns/tool", "host:5000/ns/tool", "localhost/ns/tool"]) {
    assertEquals(parse(ref).source.kind, "oci", ref);
    assert(parse(ref).warning === undefined, ref);
  }
});

// --- resourceOf / describeSource ---------------------------------------------------------------

const shown: { source: FeatureSource; resource: string; described: string }[] = [
  {
    source: { kind: "oci", registry: "ghcr.io", repository: "o/c/node", id: "node", tag: "1" },
    resource: "ghcr.io/o/c/node",
    described: "ghcr.io/o/c/node:1",
  },
  {
    source: {
      kind: "oci",
      registry: "localhost:5000",
      repository: "a/b/c",
      id: "c",
      tag: "latest",
    },
    resource: "localhost:5000/a/b/c",
    described: "localhost:5000/a/b/c:latest",
  },
  {
    source: {
      kind: "oci",
      registry: "ghcr.io",
      repository: "o/c/node",
      id: "node",
      digest: DIGEST,
    },
    resource: "ghcr.io/o/c/node",
    described: `ghcr.io/o/c/node@${DIGEST}`,
  },
  {
    source: { kind: "tarball", url: "https://e.com/devcontainer-feature-go.tgz", id: "go" },
    resource: "https://e.com/devcontainer-feature-go.tgz",
    described: "https://e.com/devcontainer-feature-go.tgz",
  },
  {
    source: { kind: "local", path: "/p/.devcontainer/a", id: "a" },
    resource: "/p/.devcontainer/a",
    described: "/p/.devcontainer/a",
  },
];

for (const { source, resource, described } of shown) {
  Deno.test(`resourceOf() gives '${resource}' and describeSource() '${described}' for a ${source.kind} source`, () => {
    assertEquals(resourceOf(source), resource);
    assertEquals(describeSource(source), described);
  });
}

Deno.test("resourceOf() is the same for two versions of one OCI Feature", () => {
  const a = parse("ghcr.io/o/c/node:1").source;
  const b = parse(`ghcr.io/o/c/node@${DIGEST}`).source;
  const c = parse("node").source;
  assertEquals(resourceOf(a), resourceOf(b));
  assertEquals(resourceOf(c), "ghcr.io/devcontainers/features/node");
});
