import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { makeTarball } from "../../tests/support/tarball.ts";
import { DownloadError, NotFoundError } from "../errors.ts";
import { agentPin } from "./agent_version.ts";
import { fetchPinnedBinary } from "./fetch_binary.ts";
import { OPENCODE_VERSION, opencodePin } from "./opencode.ts";

/** A local npm registry with one extra opencode version, its metadata and its tarball. */
function registry(tgz: Uint8Array, integrity: string) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    if (path === "/opencode-linux-x64/1.2.3") {
      return Response.json({ name: "opencode-linux-x64", version: "1.2.3", dist: { integrity } });
    }
    if (path === "/opencode-linux-x64/-/opencode-linux-x64-1.2.3.tgz") {
      return new Response(new Uint8Array(tgz));
    }
    return new Response("{}", { status: 404 });
  });
  return { server, requests, url: `http://127.0.0.1:${server.addr.port}` };
}

const sri = (bytes: Uint8Array) => `sha512-${createHash("sha512").update(bytes).digest("base64")}`;

Deno.test("agent version: the pinned version needs no registry; another takes the registry's integrity", async () => {
  assertEquals(await agentPin("linux-x64", undefined), opencodePin("linux-x64"));
  assertEquals(await agentPin("linux-x64", OPENCODE_VERSION), opencodePin("linux-x64"));
  const tgz = await makeTarball({ "package/bin/opencode": "#!/bin/sh\necho 1.2.3\n" }, {
    gzip: true,
  });
  const r = registry(tgz, sri(tgz));
  const cacheDir = await Deno.makeTempDir();
  try {
    const pin = await agentPin("linux-x64", "1.2.3", { registry: r.url, cacheDir });
    assertEquals([pin.version, pin.integrity], ["1.2.3", sri(tgz)]);
    const path = await fetchPinnedBinary(pin, { cacheDir, registry: r.url });
    assert(path.endsWith("/opencode-linux-x64/1.2.3/opencode"));
    assertEquals(await Deno.readTextFile(path), "#!/bin/sh\necho 1.2.3\n");
    // Once cached and checked, the registry is not asked again.
    const before = r.requests.length;
    assertEquals(await agentPin("linux-x64", "1.2.3", { registry: r.url, cacheDir }), pin);
    assertEquals(r.requests.length, before);
    await assertRejects(() => agentPin("linux-x64", "9.9.9", { registry: r.url }), NotFoundError);
  } finally {
    await r.server.shutdown();
  }
});

Deno.test("agent version: a tarball that does not match the registry's integrity is refused", async () => {
  const tgz = await makeTarball({ "package/bin/opencode": "tampered" }, { gzip: true });
  const r = registry(tgz, sri(new TextEncoder().encode("something else")));
  const cacheDir = await Deno.makeTempDir();
  try {
    const pin = await agentPin("linux-x64", "1.2.3", { registry: r.url });
    await assertRejects(() => fetchPinnedBinary(pin, { cacheDir, registry: r.url }), DownloadError);
  } finally {
    await r.server.shutdown();
  }
});
