import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { DownloadError, NotFoundError } from "../errors.ts";
import { digestOf } from "./feature_cache.ts";
import { parseFeatureRef } from "./feature_ref.ts";
import { FEATURE_LAYER_TYPE, fetchFeature, newestMatching } from "./fetch_feature.ts";
import type { OciClient, OciRepository } from "./oci_client.ts";

/** A Feature's layer: a tar of its manifest and install script. */
async function layer(id: string, version: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "devcontainer-feature.json"),
      JSON.stringify({ id, version }),
    );
    await Deno.writeTextFile(join(dir, "install.sh"), "#!/bin/sh\n", { mode: 0o755 });
    const out = await new Deno.Command("tar", {
      args: ["-cf", "-", "-C", dir, "."],
      stdout: "piped",
    })
      .output();
    return out.stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An in-memory registry behind devaipod's client interface, counting what is asked. */
async function registry(tags: Record<string, string>) {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, Uint8Array>();
  const byTag = new Map<string, string>();
  for (const [tag, version] of Object.entries(tags)) {
    const bytes = await layer("node", version);
    const digest = await digestOf(bytes);
    blobs.set(digest, bytes);
    const manifest = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      layers: [{ mediaType: FEATURE_LAYER_TYPE, digest, size: bytes.length }],
    }));
    const md = await digestOf(manifest);
    manifests.set(md, manifest);
    byTag.set(tag, md);
  }
  const calls: string[] = [];
  let down = false;
  const unreachable = () =>
    new DownloadError("cannot reach 'r.test'", { cause: new TypeError("connection refused") });
  const client: OciClient = {
    manifest(_repo: OciRepository, reference: string) {
      calls.push(`manifest ${reference}`);
      if (down) return Promise.reject(unreachable());
      const digest = byTag.get(reference) ?? reference;
      const bytes = manifests.get(digest);
      if (!bytes) return Promise.reject(new NotFoundError(`manifest ${reference} not found`));
      return Promise.resolve({
        digest,
        manifest: JSON.parse(new TextDecoder().decode(bytes)),
        bytes,
      });
    },
    tags() {
      calls.push("tags");
      return down ? Promise.reject(unreachable()) : Promise.resolve([...byTag.keys()]);
    },
    blob(_repo: OciRepository, digest: string) {
      calls.push(`blob ${digest.slice(7, 15)}`);
      if (down) return Promise.reject(unreachable());
      return Promise.resolve(blobs.get(digest) as Uint8Array);
    },
  };
  return { client, calls, byTag, setDown: (d: boolean) => down = d };
}

const ref = (id: string) => parseFeatureRef(id, { configDir: "/p/.devcontainer" });

Deno.test("fetchFeature() fetches by tag, caches, and then needs no registry for a pinned digest", async () => {
  const cacheRoot = await Deno.makeTempDir();
  try {
    const r = await registry({ "1": "1.4.0" });
    const got = await fetchFeature(ref("r.test/o/features/node:1"), {
      client: r.client,
      cacheRoot,
    });
    assertEquals([got.manifest.version, got.digest], ["1.4.0", r.byTag.get("1")]);
    assertEquals(got.resolved, `r.test/o/features/node@${r.byTag.get("1")}`);
    assertEquals(r.calls.length, 2, r.calls.join(", "));
    r.setDown(true);
    r.calls.length = 0;
    const again = await fetchFeature(
      ref("r.test/o/features/node:1"),
      { client: r.client, cacheRoot },
      { integrity: got.digest },
    );
    assertEquals([again.digest, again.dir, r.calls], [got.digest, got.dir, []]);
  } finally {
    await Deno.remove(cacheRoot, { recursive: true });
  }
});

Deno.test("fetchFeature() uses the digest a tag last resolved to when the registry cannot be reached, and says so", async () => {
  const cacheRoot = await Deno.makeTempDir();
  try {
    const r = await registry({ "1": "1.4.0" });
    await fetchFeature(ref("r.test/o/features/node:1"), { client: r.client, cacheRoot });
    r.setDown(true);
    const warnings: string[] = [];
    const got = await fetchFeature(ref("r.test/o/features/node:1"), {
      client: r.client,
      cacheRoot,
      warn: (l) => warnings.push(l),
    });
    assertEquals(got.manifest.version, "1.4.0");
    assertEquals(warnings, [
      `r.test is not reachable: using r.test/o/features/node:1 as cached (${r.byTag.get("1")})`,
    ]);
    // Never fetched before: the registry's error stands.
    await assertRejects(
      () => fetchFeature(ref("r.test/o/features/node:2"), { client: r.client, cacheRoot }),
      DownloadError,
    );
  } finally {
    await Deno.remove(cacheRoot, { recursive: true });
  }
});

Deno.test("fetchFeature() resolves a major version the registry has no tag for to its newest release", async () => {
  const cacheRoot = await Deno.makeTempDir();
  try {
    const r = await registry({ "1.2.0": "1.2.0", "1.10.1": "1.10.1", "2.0.0": "2.0.0" });
    const got = await fetchFeature(ref("r.test/o/features/node:1"), {
      client: r.client,
      cacheRoot,
    });
    assertEquals(got.manifest.version, "1.10.1");
    assertEquals(r.calls.slice(0, 3), ["manifest 1", "tags", "manifest 1.10.1"]);
    assertEquals(newestMatching(["1.2.0", "1.10.1", "2.0.0", "latest"], "1"), "1.10.1");
    assertEquals(newestMatching(["1.2.0", "1.2.3", "1.3.0"], "1.2"), "1.2.3");
    assertEquals(newestMatching(["1.2.0"], "latest"), undefined);
  } finally {
    await Deno.remove(cacheRoot, { recursive: true });
  }
});

Deno.test("fetchFeature() names a local Feature that is missing, or has no devcontainer-feature.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const deps = { client: (await registry({})).client, cacheRoot: join(dir, "cache") };
    const local = (p: string) => parseFeatureRef(p, { configDir: dir });
    await assertRejects(
      () => fetchFeature(local("./gone"), deps),
      /local Feature '.\/gone' not found/,
    );
    await Deno.mkdir(join(dir, "empty"));
    await assertRejects(
      () => fetchFeature(local("./empty"), deps),
      /Feature '.\/empty' has no devcontainer-feature.json/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
