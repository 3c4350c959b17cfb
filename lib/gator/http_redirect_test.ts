import { z } from "zod";
import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ForgeError } from "./forge.ts";
import { forgeApi } from "./http.ts";

Deno.test("forgeApi() follows a redirect on its own origin and refuses one elsewhere, keeping the token home", async () => {
  const seen: { host: string; path: string; token: string | null }[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push({
      host: "other",
      path: new URL(req.url).pathname,
      token: req.headers.get("authorization"),
    });
    return Response.json({ ok: true });
  });
  const forge = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    seen.push({ host: "forge", path, token: req.headers.get("authorization") });
    if (path === "/moved") {
      return new Response(null, { status: 301, headers: { location: "/here" } });
    }
    if (path === "/away") {
      return new Response(null, {
        status: 302,
        headers: { location: `http://localhost:${other.addr.port}/steal` },
      });
    }
    return Response.json({ ok: true });
  });
  try {
    const api = forgeApi({
      service: "GitHub",
      base: `http://127.0.0.1:${forge.addr.port}`,
      headers: { Authorization: "Bearer t" },
      message: () => undefined,
    });
    assertEquals(await api.json(z.object({ ok: z.boolean() }), { path: "/moved" }), { ok: true });
    const err = await assertRejects(() => api.text({ path: "/away" }), ForgeError);
    assertEquals(err.status, 302);
    assertEquals(seen.filter((s) => s.host === "other"), []);
    assertEquals(seen.map((s) => s.path), ["/moved", "/here", "/away"]);
  } finally {
    await forge.shutdown();
    await other.shutdown();
  }
});
