import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { makeTarball } from "../../tests/support/tarball.ts";
import { DownloadError } from "../errors.ts";
import { cacheState, fetchPinnedBinary, markerPath, tarballUrl } from "./fetch_binary.ts";
import { agentPlatform, cachedBinaryPath, opencodePin } from "./opencode.ts";
import type { PinnedBinary } from "./opencode.ts";

const BINARY = "#!/bin/sh\necho fake-agent\n";

function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

/** A registry on 127.0.0.1 serving one tarball; counts requests. */
async function withRegistry(
  tarball: Uint8Array,
  fn: (registry: string, requests: () => number) => Promise<void>,
): Promise<void> {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    count++;
    const path = new URL(req.url).pathname;
    if (path === "/fake-agent/-/fake-agent-1.0.0.tgz") return new Response(tarball.slice());
    return new Response("not found", { status: 404 });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/`, () => count);
  } finally {
    await server.shutdown();
  }
}

function pin(integrity: string, member = "package/bin/agent"): PinnedBinary {
  return { packageName: "fake-agent", version: "1.0.0", integrity, member, binaryName: "agent" };
}

async function withCache(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...(await listFiles(`${dir}/${e.name}`)).map((f) => `${e.name}/${f}`));
    } else out.push(e.name);
  }
  return out.sort();
}

Deno.test("agent binary: pins cover both Linux architectures with sha512 integrities", () => {
  assertEquals(agentPlatform("amd64"), "linux-x64");
  assertEquals(agentPlatform("x86_64"), "linux-x64");
  assertEquals(agentPlatform("arm64"), "linux-arm64");
  assertEquals(agentPlatform("aarch64"), "linux-arm64");
  assertEquals(agentPlatform("s390x"), undefined);
  for (const p of ["linux-x64", "linux-arm64"] as const) {
    assertMatch(opencodePin(p).integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
  }
  assertEquals(
    tarballUrl("https://registry.npmjs.org/", opencodePin("linux-x64")),
    `https://registry.npmjs.org/opencode-linux-x64/-/opencode-linux-x64-${
      opencodePin("linux-x64").version
    }.tgz`,
  );
  assertEquals(
    tarballUrl("https://r", { ...pin("x"), packageName: "@s/p" }),
    "https://r/@s/p/-/p-1.0.0.tgz",
  );
});

Deno.test("agent binary: fetched once, verified, executable, and then served from the cache", async () => {
  const tgz = await makeTarball({ "package/package.json": "{}", "package/bin/agent": BINARY }, {
    gzip: true,
  });
  await withCache(async (cache) => {
    await withRegistry(tgz, async (registry, requests) => {
      const p = pin(integrityOf(tgz));
      assertEquals((await cacheState(cache, p)).status, "missing");
      const lines: string[] = [];
      const path = await fetchPinnedBinary(p, {
        cacheDir: cache,
        registry,
        log: (l) => lines.push(l),
      });
      assertEquals(path, cachedBinaryPath(cache, p));
      assertEquals(await Deno.readTextFile(path), BINARY);
      assertEquals(((await Deno.stat(path)).mode ?? 0) & 0o777, 0o755);
      assertEquals((await cacheState(cache, p)).status, "verified");
      assert(lines.some((l) => l.includes("verified")));
      assertEquals(requests(), 1);
      await fetchPinnedBinary(p, { cacheDir: cache, registry });
      assertEquals(requests(), 1, "a verified cache is not downloaded again");
      const out = await new Deno.Command("sh", { args: [path], stdout: "piped" }).output();
      assertEquals(new TextDecoder().decode(out.stdout), "fake-agent\n");
    });
  });
});

Deno.test("agent binary: a tarball that does not match the pin is rejected and leaves nothing", async () => {
  const tgz = await makeTarball({ "package/bin/agent": BINARY }, { gzip: true });
  const other = await makeTarball({ "package/bin/agent": "#!/bin/sh\necho evil\n" }, {
    gzip: true,
  });
  await withCache(async (cache) => {
    await withRegistry(tgz, async (registry) => {
      const err = await assertRejects(
        () => fetchPinnedBinary(pin(integrityOf(other)), { cacheDir: cache, registry }),
        DownloadError,
      );
      assertMatch(err.message, /integrity mismatch/);
      assertEquals(err.exitCode, 7);
      assertEquals(await listFiles(cache), [], "no binary, marker or partial file is left");
    });
  });
});

Deno.test("agent binary: a changed binary without a matching marker is stale and fetched again", async () => {
  const tgz = await makeTarball({ "package/bin/agent": BINARY }, { gzip: true });
  await withCache(async (cache) => {
    await withRegistry(tgz, async (registry, requests) => {
      const p = pin(integrityOf(tgz));
      const path = await fetchPinnedBinary(p, { cacheDir: cache, registry });
      await Deno.writeTextFile(path, "tampered, longer than before");
      assertEquals((await cacheState(cache, p)).status, "stale");
      await fetchPinnedBinary(p, { cacheDir: cache, registry });
      assertEquals(requests(), 2);
      assertEquals(await Deno.readTextFile(path), BINARY);
      assertEquals(
        (await Deno.readTextFile(markerPath(path))).trim(),
        `${p.integrity} ${BINARY.length}`,
      );
    });
  });
});

Deno.test("agent binary: HTTP errors, missing members, non-gzip bodies and refused connections are DownloadErrors", async () => {
  const tgz = await makeTarball({ "package/bin/other": BINARY }, { gzip: true });
  const plain = new TextEncoder().encode("this is not a tarball");
  await withCache(async (cache) => {
    await withRegistry(tgz, async (registry) => {
      const missing = { ...pin(integrityOf(tgz)), version: "9.9.9" };
      await assertRejects(
        () => fetchPinnedBinary(missing, { cacheDir: cache, registry }),
        /HTTP 404/,
      );
      await assertRejects(
        () => fetchPinnedBinary(pin(integrityOf(tgz)), { cacheDir: cache, registry }),
        /has no package\/bin\/agent/,
      );
    });
    await withRegistry(plain, async (registry) => {
      await assertRejects(
        () => fetchPinnedBinary(pin(integrityOf(plain)), { cacheDir: cache, registry }),
        DownloadError,
      );
    });
    // A port that was just closed: the connection is refused on loopback.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const err = await assertRejects(
      () =>
        fetchPinnedBinary(pin(integrityOf(tgz)), {
          cacheDir: cache,
          registry: `http://127.0.0.1:${port}`,
        }),
      DownloadError,
    );
    assert(err.hint?.includes("DEVAIPOD_NPM_REGISTRY"));
    assertEquals(await listFiles(cache), []);
  });
});

Deno.test("agent package: a binary with its companions, or a whole JavaScript tree, lands in one folder; a mismatch leaves nothing", async () => {
  const tgz = await makeTarball({
    "package/vendor/bin/agent": BINARY,
    "package/vendor/bin/agent-host": "#!/bin/sh\necho host\n",
    "package/vendor/other": "not wanted",
    "package/bundle/main.js": "console.log(1)\n",
    "package/bundle/chunks/a.js": "export const a = 1;\n",
  }, { gzip: true });
  const companions: PinnedBinary = {
    ...pin(integrityOf(tgz), "package/vendor/bin/agent"),
    companions: { "package/vendor/bin/agent-host": "agent-host" },
  };
  const tree: PinnedBinary = {
    ...pin(integrityOf(tgz), "package/bundle/main.js"),
    binaryName: "bundle/main.js",
    tree: "package/",
  };
  await withCache(async (cache) => {
    await withRegistry(tgz, async (registry, requests) => {
      const path = await fetchPinnedBinary(companions, { cacheDir: cache, registry });
      assertEquals(path, cachedBinaryPath(cache, companions));
      assertEquals(await listFiles(`${cache}/agents/fake-agent/1.0.0`), [
        "agent",
        "agent-host",
        "agent.integrity",
      ]);
      assertEquals(((await Deno.stat(`${path}-host`)).mode ?? 0) & 0o777, 0o755);
      assertEquals((await cacheState(cache, companions)).status, "verified");
      await fetchPinnedBinary(companions, { cacheDir: cache, registry });
      assertEquals(requests(), 1, "a verified package is not downloaded again");

      // The tree replaces the folder (another pin of the same version: stale there).
      const main = await fetchPinnedBinary(tree, { cacheDir: cache, registry });
      assertEquals(main, `${cache}/agents/fake-agent/1.0.0/bundle/main.js`);
      assertEquals(await listFiles(`${cache}/agents/fake-agent/1.0.0`), [
        "bundle/chunks/a.js",
        "bundle/main.js",
        "bundle/main.js.integrity",
        "vendor/bin/agent",
        "vendor/bin/agent-host",
        "vendor/other",
      ]);
    });
  });
  await withCache(async (cache) => {
    await withRegistry(tgz, async (registry) => {
      const bad = { ...companions, integrity: integrityOf(new Uint8Array([1])) };
      const err = await assertRejects(
        () => fetchPinnedBinary(bad, { cacheDir: cache, registry }),
        DownloadError,
      );
      assertMatch(err.message, /integrity mismatch/);
      assertEquals(await listFiles(cache), [], "no folder, file or marker is left");
      const missing = {
        ...companions,
        companions: { "package/vendor/bin/nope": "nope" },
      };
      const err2 = await assertRejects(
        () => fetchPinnedBinary(missing, { cacheDir: cache, registry }),
        DownloadError,
      );
      assertMatch(err2.message, /has no package\/vendor\/bin\/nope/);
      assertEquals(await listFiles(cache), []);
    });
  });
});
