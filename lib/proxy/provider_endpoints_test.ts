import { assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { PROVIDERS } from "../agents/providers.ts";
import { routeProvider, startProviderEndpoints, upstreamHeaders } from "./provider_endpoints.ts";
import type { EndpointProvider } from "./provider_endpoints.ts";
import { certificates } from "../../tests/support/test_ca.ts";

const REAL = "sk-ant-REAL-KEY-only-the-proxy-has";

const anthropic = (upstream: string, key: string | undefined = REAL): EndpointProvider => ({
  id: "anthropic",
  upstream,
  header: { name: "x-api-key" },
  key: () => key,
});
const openai: EndpointProvider = {
  id: "openai",
  upstream: "https://api.openai.com",
  header: { name: "authorization", scheme: "Bearer" },
  key: () => "sk-openai",
};

Deno.test("routeProvider() maps a provider's prefix to its upstream, keeping the rest and the query", () => {
  const providers = [anthropic("https://api.anthropic.com"), openai];
  const table: [string, string | undefined][] = [
    ["/anthropic/v1/messages", "https://api.anthropic.com/v1/messages"],
    ["/anthropic/v1/messages?beta=true", "https://api.anthropic.com/v1/messages?beta=true"],
    ["/openai/v1/chat/completions", "https://api.openai.com/v1/chat/completions"],
    ["/anthropic", "https://api.anthropic.com/"],
    ["/mistral/v1/chat", undefined],
    ["/", undefined],
    ["/anthropic/../openai/v1", undefined],
    ["/anthropic/v1/%2e%2e/x", undefined],
    ["/ANTHROPIC/v1", undefined],
    ["anthropic/v1", undefined],
  ];
  for (const [path, url] of table) assertEquals(routeProvider(path, providers)?.url, url, path);
});

Deno.test("upstreamHeaders() drops the agent's credentials and hop-by-hop headers and adds the real key", () => {
  const incoming = new Headers({
    "x-api-key": "placeholder",
    authorization: "Bearer placeholder",
    "content-type": "application/json",
    "anthropic-version": "2023-06-01",
    connection: "keep-alive",
    host: "proxy:3129",
    cookie: "a=b",
  });
  const a = upstreamHeaders(incoming, { name: "x-api-key" }, REAL);
  assertEquals([...a].sort(), [
    ["anthropic-version", "2023-06-01"],
    ["content-type", "application/json"],
    ["x-api-key", REAL],
  ]);
  const o = upstreamHeaders(incoming, { name: "authorization", scheme: "Bearer" }, "sk-o");
  assertEquals(o.get("authorization"), "Bearer sk-o");
  assertEquals(o.get("x-api-key"), null);
});

Deno.test("the shipped providers each have a distinct id, key and an https upstream", () => {
  assertEquals(new Set(PROVIDERS.map((p) => p.id)).size, PROVIDERS.length);
  assertEquals(new Set(PROVIDERS.map((p) => p.key)).size, PROVIDERS.length);
  for (const p of PROVIDERS) assertMatch(p.upstream, /^https:\/\/[a-z0-9.-]+(\/[a-z]+)?$/);
});

/** A stand-in provider: records what it got, answers with a stream of events. */
function standIn() {
  const seen: { url: string; key: string | null; auth: string | null; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen.push({
      url: req.url,
      key: req.headers.get("x-api-key"),
      auth: req.headers.get("authorization"),
      body: await req.text(),
    });
    const events = ["event: a\ndata: 1\n\n", "event: b\ndata: 2\n\n"];
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        for (const e of events) {
          c.enqueue(new TextEncoder().encode(e));
          await new Promise((r) => setTimeout(r, 20));
        }
        c.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("provider endpoints: the call reaches the provider with the real key, the agent's placeholder never; the stream comes back; the log has the bytes and no key", async () => {
  const upstream = standIn();
  const logs: string[] = [];
  const endpoints = startProviderEndpoints({
    hostname: "127.0.0.1",
    port: 0,
    providers: [anthropic(upstream.url)],
    log: (r) => logs.push(JSON.stringify(r)),
  });
  try {
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
    const r = await fetch(`http://127.0.0.1:${endpoints.addr.port}/anthropic/v1/messages?beta=1`, {
      method: "POST",
      headers: { "x-api-key": "placeholder", "content-type": "application/json" },
      body,
    });
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("content-type"), "text/event-stream");
    assertEquals(await r.text(), "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n");
    assertEquals(upstream.seen, [{
      url: `${upstream.url}/v1/messages?beta=1`,
      key: REAL,
      auth: null,
      body,
    }]);
    for (let i = 0; i < 20 && !logs.length; i++) await new Promise((res) => setTimeout(res, 10));
    assertEquals(logs.length, 1);
    const record = JSON.parse(logs[0] ?? "{}");
    assertEquals(
      [
        record.event,
        record.decision,
        record.status,
        record.provider,
        record.bytesUp,
        record.bytesDown,
      ],
      ["close", "allow", 200, "anthropic", body.length, 36],
    );
    assertEquals(logs.join("").includes(REAL), false);
  } finally {
    await endpoints.close();
    await upstream.close();
  }
});

Deno.test("provider endpoints: an unknown path is 404, a missing key 503, an unreachable provider 502; each logged", async () => {
  const logs: { status: number; decision: string }[] = [];
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}`;
  l.close();
  const endpoints = startProviderEndpoints({
    hostname: "127.0.0.1",
    port: 0,
    providers: [anthropic(dead), { ...openai, upstream: dead, key: () => undefined }],
    log: (r) => logs.push(r),
  });
  const at = (path: string) =>
    fetch(`http://127.0.0.1:${endpoints.addr.port}${path}`, { method: "POST", body: "{}" });
  try {
    const answers = [];
    for (const path of ["/nothing/v1", "/openai/v1/chat/completions", "/anthropic/v1/messages"]) {
      const r = await at(path);
      answers.push([r.status, await r.text()]);
    }
    assertEquals(answers.map((a) => a[0]), [404, 503, 502]);
    assertMatch(String(answers[1]?.[1]), /holds no key for openai/);
    assertEquals(logs.map((r) => [r.status, r.decision]), [[404, "deny"], [503, "allow"], [
      502,
      "allow",
    ]]);
  } finally {
    await endpoints.close();
  }
});

Deno.test("provider endpoints: the provider's certificate is verified; a CA given to the client is trusted", async () => {
  const dir = await Deno.makeTempDir();
  await certificates(dir, ["localhost"]);
  const tls = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(`${dir}/server.pem`),
    key: await Deno.readTextFile(`${dir}/server.key`),
    onListen: () => {},
  }, (req) => new Response(req.headers.get("x-api-key") === REAL ? "ok" : "no key"));
  const upstream = `https://localhost:${tls.addr.port}`;
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)] });
  const untrusting = startProviderEndpoints({
    hostname: "127.0.0.1",
    port: 0,
    providers: [anthropic(upstream)],
  });
  const trusting = startProviderEndpoints({
    hostname: "127.0.0.1",
    port: 0,
    providers: [anthropic(upstream)],
    client,
  });
  try {
    const refused = await fetch(`http://127.0.0.1:${untrusting.addr.port}/anthropic/v1/x`);
    assertEquals(refused.status, 502);
    assertMatch(await refused.text(), /certificate|UnknownIssuer|invalid peer/i);
    const ok = await fetch(`http://127.0.0.1:${trusting.addr.port}/anthropic/v1/x`);
    assertEquals([ok.status, await ok.text()], [200, "ok"]);
  } finally {
    await untrusting.close();
    await trusting.close();
    client.close();
    await tls.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
