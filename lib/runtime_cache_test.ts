import { assert, assertEquals, assertMatch, assertRejects } from "../tests/support/assert.ts";
import { DownloadError, ExitCode } from "./errors.ts";
import { urlRuntimeDir } from "./runtime.ts";
import type { RuntimeInfo } from "./runtime.ts";
import { materialiseRuntime } from "./runtime_cache.ts";
import type { RuntimeFile } from "./runtime_files.ts";
import { sha256Hex } from "./util/hash.ts";

const SOURCES: Record<string, string> = {
  "lib/proxy/main.ts": 'import "./server.ts";\n',
  "lib/proxy/server.ts": "export const x = 1;\n",
  "lib/errors.ts": "export class E {}\n",
};

async function filesOf(sources: Record<string, string>): Promise<RuntimeFile[]> {
  return await Promise.all(
    Object.entries(sources).map(async ([path, text]) => ({ path, sha256: await sha256Hex(text) })),
  );
}

/**
 * A devaipod "served from a URL" on 127.0.0.1: `served` is what the server sends (a test
 * changes it), `files` what devaipod's code expects; counts the requests.
 */
async function withServer(
  fn: (ctx: {
    runtime: RuntimeInfo;
    cache: string;
    served: Record<string, string>;
    requests: () => number;
    port: number;
  }) => Promise<void>,
  /** The Authorization header the server wants (without it, any request is served). */
  authorization?: string,
): Promise<void> {
  const served = { ...SOURCES };
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    count++;
    if (authorization && req.headers.get("authorization") !== authorization) {
      return new Response("unauthorized", { status: 401 });
    }
    const path = new URL(req.url).pathname.replace(/^\/v1\//, "");
    const text = served[path];
    return text === undefined
      ? new Response("not found", { status: 404 })
      : new Response(text, { headers: { "content-type": "application/typescript" } });
  });
  const cache = await Deno.makeTempDir({ prefix: "devaipod-cache-" });
  try {
    const base = `http://127.0.0.1:${server.addr.port}/v1/`;
    await fn({
      runtime: { standalone: false, execPath: "/usr/bin/deno", mainModule: `${base}main.ts` },
      cache,
      served,
      requests: () => count,
      port: server.addr.port,
    });
  } finally {
    await server.shutdown();
    await Deno.remove(cache, { recursive: true });
  }
}

async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${prefix}${e.name}`;
    out.push(e.isDirectory ? `${path}/` : path);
    if (e.isDirectory) out.push(...await tree(`${dir}/${e.name}`, `${path}/`));
  }
  return out.sort();
}

const files = await filesOf(SOURCES);

Deno.test("runtime cache: a URL's files are fetched beside main.ts once, readable by any user, then reused", async () => {
  await withServer(async ({ runtime, cache, requests }) => {
    assertEquals(await materialiseRuntime(runtime, cache, { files }), "fetched");
    assertEquals(requests(), 3);
    const dir = urlRuntimeDir(cache, files);
    for (const [path, text] of Object.entries(SOURCES)) {
      assertEquals(await Deno.readTextFile(`${dir}/${path}`), text);
      assertEquals(((await Deno.stat(`${dir}/${path}`)).mode ?? 0) & 0o777, 0o644, path);
    }
    for (const d of ["", "/lib", "/lib/proxy"]) {
      assertEquals(((await Deno.stat(`${dir}${d}`)).mode ?? 0) & 0o777, 0o755, d || "/");
    }
    assertEquals(await materialiseRuntime(runtime, cache, { files }), "cached");
    assertEquals(requests(), 3, "the cached copy is used without asking the server");
  });
});

Deno.test("runtime cache: a copy changed by hand is fetched again; the old folder is moved aside, never emptied", async () => {
  await withServer(async ({ runtime, cache }) => {
    assertEquals(await materialiseRuntime(runtime, cache, { files }), "fetched");
    const dir = urlRuntimeDir(cache, files);
    // A container mounts the folder: the mount follows the folder, wherever it is renamed to.
    const mounted = (await Deno.stat(dir)).ino;
    using held = await Deno.open(`${dir}/lib/proxy/main.ts`);
    await Deno.writeTextFile(`${dir}/lib/errors.ts`, "changed\n");
    assertEquals(await materialiseRuntime(runtime, cache, { files }), "fetched");
    assertEquals(await Deno.readTextFile(`${dir}/lib/errors.ts`), SOURCES["lib/errors.ts"]);
    const name = dir.split("/").at(-1) ?? "";
    const folders = (await tree(`${cache}/runtime`)).filter((p) => /^[^/]+\/$/.test(p));
    assertEquals(folders.length, 2, folders.join(" "));
    const aside = `${cache}/runtime/${folders.find((f) => f !== `${name}/`)}`;
    assertMatch(aside, new RegExp(`/${name}\\.stale-[0-9a-f]{8}/$`));
    assertEquals((await Deno.stat(aside)).ino, mounted);
    assertEquals(await tree(aside), await tree(dir), "the mounted folder keeps every file");
    assertEquals(await Deno.readTextFile(`${aside}lib/errors.ts`), "changed\n");
    assertEquals((await held.stat()).nlink, 1);
  });
});

Deno.test("runtime cache: a served file that differs from its hash is refused and nothing is written", async () => {
  await withServer(async ({ runtime, cache, served }) => {
    served["lib/proxy/server.ts"] += "// tampered\n";
    const err = await assertRejects(
      () => materialiseRuntime(runtime, cache, { files }),
      DownloadError,
    );
    assertEquals(err.exitCode, ExitCode.download);
    assertMatch(
      err.message,
      /^integrity mismatch for http:\/\/127\.0\.0\.1:\d+\/v1\/lib\/proxy\/server\.ts: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}$/,
    );
    assertMatch(err.hint ?? "", /nothing was written/);
    assertEquals(await tree(cache), [], "not even the runtime folder");
  });
});

Deno.test("runtime cache: a missing file names its URL and the HTTP status", async () => {
  await withServer(async ({ runtime, cache, served }) => {
    delete served["lib/errors.ts"];
    const err = await assertRejects(
      () => materialiseRuntime(runtime, cache, { files }),
      DownloadError,
    );
    assertMatch(
      err.message,
      /^cannot download http:\/\/127\.0\.0\.1:\d+\/v1\/lib\/errors\.ts: HTTP 404$/,
    );
    assertEquals(await tree(cache), []);
  });
});

Deno.test("runtime cache: devaipods filling the same version at once all succeed, and none removes a copy another returned", async () => {
  await withServer(async ({ runtime, cache }) => {
    const dir = urlRuntimeDir(cache, files);
    // A container that mounts the folder holds its files; an open file stands in for it (its
    // link count drops to 0 when the file is removed, not when its folder is renamed).
    const held: Deno.FsFile[] = [];
    const fill = async () => {
      const result = await materialiseRuntime(runtime, cache, { files });
      held.push(await Deno.open(`${dir}/lib/proxy/main.ts`));
      return result;
    };
    try {
      // A copy changed by hand is there, and one devaipod runs containers from it.
      await fill();
      await Deno.writeTextFile(`${dir}/lib/errors.ts`, "changed\n");
      // All settle before anything is judged (or removed): a failure shows its own error.
      const settled = await Promise.allSettled([fill(), fill(), fill(), fill()]);
      const failed = settled.filter((r) => r.status === "rejected").map((r) => String(r.reason));
      assertEquals(failed, [], "every fill succeeds");
      const results = settled.map((r) => r.status === "fulfilled" ? r.value : undefined);
      assert(results.includes("fetched"));
      for (const file of held) {
        assertEquals((await file.stat()).nlink, 1, "a folder in use was removed");
      }
      assertEquals(await Deno.readTextFile(`${dir}/lib/errors.ts`), SOURCES["lib/errors.ts"]);
      const left = (await tree(`${cache}/runtime`)).filter((p) => p.includes(".partial-"));
      assertEquals(left, [], "no partial folder is left");
    } finally {
      for (const file of held) file.close();
    }
  });
});

Deno.test("runtime cache: a private URL gets DENO_AUTH_TOKENS' entry for its host, as Deno's loader did", async () => {
  const token = "s3cret-token";
  await withServer(async ({ runtime, cache, port }) => {
    const refused = await assertRejects(
      () => materialiseRuntime(runtime, cache, { files }),
      DownloadError,
    );
    assertMatch(refused.message, /: HTTP 401$/);
    assertMatch(refused.hint ?? "", /DENO_AUTH_TOKENS/);
    const authTokens = `other@example.com;${token}@127.0.0.1:${port}`;
    assertEquals(await materialiseRuntime(runtime, cache, { files, authTokens }), "fetched");
  }, `Bearer ${token}`);
});

Deno.test("runtime cache: a URL's password is never shown in an error", async () => {
  await withServer(async ({ cache, port }) => {
    const runtime: RuntimeInfo = {
      standalone: false,
      execPath: "/usr/bin/deno",
      mainModule: `http://user:hunter2@127.0.0.1:${port}/v1/main.ts`,
    };
    const err = await assertRejects(
      () => materialiseRuntime(runtime, cache, { files }),
      DownloadError,
    );
    assertMatch(err.message, new RegExp(`^cannot download http://127\\.0\\.0\\.1:${port}/v1/`));
    assert(!`${err.message} ${err.hint}`.includes("hunter2"), err.message);
  }, "Basic " + btoa("someone:else"));
});
