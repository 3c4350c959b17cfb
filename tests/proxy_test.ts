/**
 * The egress proxy on loopback: real TCP upstreams, the real curl as client, raw sockets for
 * malformed and hostile clients. Names resolve through an injected table (test names → 127.0.0.1);
 * loopback is a restricted address, so the tests allow it explicitly where they mean to. The
 * sidecar's relay and its refusal of the workspace's own networks are tested here too, in process
 * and as the sidecar runs them (lib/proxy/main.ts with its flags).
 */
import { parseAllowlist } from "../lib/proxy/allowlist.ts";
import { parseSubnet } from "../lib/proxy/own_networks.ts";
import { startRelay } from "../lib/proxy/relay.ts";
import type { AllowEntry } from "../lib/proxy/allowlist.ts";
import { egressRows, foldEgress, parseProxyLog } from "../lib/proxy/egress_log.ts";
import { startProxy } from "../lib/proxy/server.ts";
import type { ProxyLimits, ProxyLogRecord, ProxyServer } from "../lib/proxy/server.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { denoDir, denoProgram, devaipodPermissionFlags } from "./support/cli.ts";
import { waitFor } from "./support/process.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** How the proxy's own effects are waited for: often, briefly (they take milliseconds). */
const FAST = { ms: 3000, every: 10 };

/** A TCP server echoing every byte back; `accepted()` counts the connections it took. */
function echoServer(): { port: number; close: () => void; accepted: () => number } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  (async () => {
    for await (const conn of listener) {
      accepted++;
      (async () => {
        const buf = new Uint8Array(65536);
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            let off = 0;
            while (off < n) off += await conn.write(buf.subarray(off, n));
          }
        } catch { /* gone */ }
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => listener.close(),
    accepted: () => accepted,
  };
}

/** An HTTP server answering with what it received. */
function webServer(): { port: number; close: () => Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new Response(
        `${req.method} ${new URL(req.url).pathname} proxy-auth=${
          req.headers.get("proxy-authorization") ?? "none"
        }\n`,
      ),
  );
  return { port: server.addr.port, close: () => server.shutdown() };
}

interface Harness {
  proxy: ProxyServer;
  records: ProxyLogRecord[];
  /** The log as the sidecar writes it: one JSON line per record. */
  log: () => string;
  allowlist: AllowEntry[];
}

async function withProxy(
  entries: string[],
  fn: (h: Harness) => Promise<void>,
  limits: Partial<ProxyLimits> = {},
) {
  const records: ProxyLogRecord[] = [];
  const allowlist = parseAllowlist(entries);
  const names: Record<string, string[]> = {
    "api.test": ["127.0.0.1"],
    "web.test": ["127.0.0.1"],
    "private.test": ["10.0.0.1"],
  };
  const proxy = startProxy({
    hostname: "127.0.0.1",
    port: 0,
    allowlist: () => allowlist,
    resolve: (host) => Promise.resolve(names[host] ?? []),
    log: (r) => records.push(r),
    limits,
  });
  const log = () => records.map((r) => `${JSON.stringify(r)}\n`).join("");
  try {
    await fn({ proxy, records, log, allowlist });
  } finally {
    await proxy.close();
  }
}

/** Sends raw bytes to the proxy and reads until it closes (or `until` matches). */
async function raw(proxyPort: number, data: string | Uint8Array, until?: RegExp): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  await conn.write(typeof data === "string" ? encoder.encode(data) : data);
  let text = "";
  const buf = new Uint8Array(4096);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n));
      if (until?.test(text)) break;
    }
  } catch { /* reset */ }
  conn.close();
  return text;
}

async function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "--max-time", "10", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("proxy: an allowed name gets a tunnel (200 only after upstream connects); bytes are counted", async () => {
  const echo = echoServer();
  try {
    await withProxy(
      [`api.test:${echo.port}`, `127.0.0.1:${echo.port}`],
      async ({ proxy, records }) => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.addr.port });
        await conn.write(
          encoder.encode(`CONNECT api.test:${echo.port} HTTP/1.1\r\nHost: api.test\r\n\r\n`),
        );
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        assertEquals(
          decoder.decode(buf.subarray(0, n ?? 0)),
          "HTTP/1.1 200 Connection Established\r\n\r\n",
        );
        const payload = "x".repeat(100_000);
        const reading = (async () => {
          let got = "";
          while (got.length < payload.length) {
            const m = await conn.read(buf);
            if (m === null) break;
            got += decoder.decode(buf.subarray(0, m));
          }
          return got;
        })();
        await conn.write(encoder.encode(payload));
        assertEquals((await reading).length, payload.length);
        await conn.closeWrite();
        while ((await conn.read(buf)) !== null) { /* drain until the proxy closes */ }
        conn.close();
        await waitFor("two records", () => records.length >= 2, FAST);
        const [open, close] = records;
        assertEquals([open?.event, close?.event, close?.id], ["open", "close", open?.id]);
        assertEquals(
          close?.event === "close"
            ? [close.decision, close.status, close.host, close.port, close.bytesUp, close.bytesDown]
            : [],
          ["allow", 200, "api.test", echo.port, 100_000, 100_000],
        );
      },
    );
  } finally {
    echo.close();
  }
});

Deno.test("proxy: the real curl tunnels to an allowed host and is refused elsewhere", async () => {
  const web = webServer();
  try {
    await withProxy(
      [`web.test:${web.port}`, `127.0.0.1:${web.port}`],
      async ({ proxy, records, log }) => {
        const via = `http://127.0.0.1:${proxy.addr.port}`;
        const ok = await curl(["-p", "--proxy", via, `http://web.test:${web.port}/hello`]);
        assertEquals([ok.code, ok.stdout], [0, "GET /hello proxy-auth=none\n"]);
        const denied = await curl([
          "-p",
          "--proxy",
          via,
          "-o",
          "/dev/null",
          "-w",
          "%{http_connect}",
          `http://evil.test:${web.port}/`,
        ]);
        assertEquals(denied.stdout, "403");
        await waitFor("three records", () => records.length >= 3, FAST);
        assertEquals(foldEgress(parseProxyLog(log())).map((e) => [e.host, e.state, e.reason]), [
          ["web.test", "closed", `allowed by web.test:${web.port}`],
          ["evil.test", "denied", "evil.test is not on the allowlist"],
        ]);
      },
    );
  } finally {
    await web.close();
  }
});

Deno.test("proxy: plain-HTTP absolute-form requests only to http:// entries, proxy headers stripped", async () => {
  const web = webServer();
  try {
    const entries = [
      `http://web.test:${web.port}`,
      `api.test:${web.port}`,
      `127.0.0.1:${web.port}`,
    ];
    await withProxy(entries, async ({ proxy, records }) => {
      const via = `http://127.0.0.1:${proxy.addr.port}`;
      const ok = await curl([
        "--proxy",
        via,
        "--proxy-user",
        "u:p",
        `http://web.test:${web.port}/plain`,
      ]);
      assertEquals([ok.code, ok.stdout], [0, "GET /plain proxy-auth=none\n"]);
      const denied = await curl([
        "--proxy",
        via,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `http://api.test:${web.port}/`,
      ]);
      assertEquals(denied.stdout, "403");
      // api.test is on the list, but for CONNECT only.
      await waitFor("a record of api.test", () => records.some((r) => r.host === "api.test"), FAST);
      assertMatch(
        records.find((r) => r.host === "api.test")?.reason ?? "",
        /allowed for TLS \(CONNECT\) only/,
      );
    });
  } finally {
    await web.close();
  }
});

Deno.test("proxy: refusals — IP literal, other port, private resolution, malformed, oversized head", async () => {
  const echo = echoServer();
  try {
    await withProxy([`api.test:${echo.port}`, "private.test:443"], async ({ proxy, records }) => {
      const port = proxy.addr.port;
      const table: [string, RegExp][] = [
        [
          `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`,
          /^HTTP\/1\.1 403 Forbidden[\s\S]*IP address 127\.0\.0\.1 is not on the allowlist/,
        ],
        [
          `CONNECT api.test:1 HTTP/1.1\r\n\r\n`,
          /^HTTP\/1\.1 403 Forbidden[\s\S]*api\.test is allowed, but not on port 1/,
        ],
        [
          "CONNECT private.test:443 HTTP/1.1\r\n\r\n",
          /^HTTP\/1\.1 403 Forbidden[\s\S]*resolves to 10\.0\.0\.1, a private or local address/,
        ],
        [
          `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`,
          /^HTTP\/1\.1 403 Forbidden[\s\S]*resolves to 127\.0\.0\.1/,
        ],
        [
          "GET http://nowhere.test/ HTTP/1.1\r\n\r\n",
          /^HTTP\/1\.1 403 Forbidden[\s\S]*nowhere\.test is not on the allowlist/,
        ],
        ["HELLO\r\n\r\n", /^HTTP\/1\.1 400 Bad Request[\s\S]*malformed request line/],
        [
          "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
          /^HTTP\/1\.1 400 Bad Request[\s\S]*not a proxy request/,
        ],
        [
          "CONNECT api.test HTTP/1.1\r\n\r\n",
          /^HTTP\/1\.1 400 Bad Request[\s\S]*must be host:port/,
        ],
        [
          `CONNECT api.test:443 HTTP/1.1\r\nX-Big: ${"a".repeat(9000)}\r\n\r\n`,
          /^HTTP\/1\.1 400 Bad Request[\s\S]*larger than 8192 bytes/,
        ],
      ];
      for (const [request, expected] of table) assertMatch(await raw(port, request), expected);
      await waitFor("a record per row", () => records.length >= table.length, FAST);
      assert(records.every((r) => r.decision === "deny"), "every refusal is logged as deny");
    });
  } finally {
    echo.close();
  }
});

Deno.test("proxy: a client sending one byte a second is cut off; others are served meanwhile", async () => {
  const echo = echoServer();
  try {
    await withProxy([`api.test:${echo.port}`, `127.0.0.1:${echo.port}`], async ({ proxy }) => {
      const slow = await Deno.connect({ hostname: "127.0.0.1", port: proxy.addr.port });
      const request = encoder.encode(`CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`);
      const dripping = (async () => {
        for (const byte of request) {
          try {
            await slow.write(new Uint8Array([byte]));
          } catch {
            return;
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      })();
      // Meanwhile a normal client is served at once.
      const fast = await raw(
        proxy.addr.port,
        `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`,
        /\r\n\r\n/,
      );
      assertEquals(fast, "HTTP/1.1 200 Connection Established\r\n\r\n");
      const buf = new Uint8Array(1024);
      const n = await slow.read(buf);
      assertMatch(decoder.decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 408 Request Timeout/);
      slow.close();
      await dripping;
    }, { headTimeoutMs: 1500 });
  } finally {
    echo.close();
  }
});

Deno.test("proxy: upstream failures are 502; idle tunnels close; too many tunnels are 503; the allowlist can change live", async () => {
  const echo = echoServer();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  try {
    await withProxy([
      `api.test:${closedPort}`,
      `127.0.0.1:${closedPort}`,
      "gone.test:443",
      `api.test:${echo.port}`,
      `127.0.0.1:${echo.port}`,
    ], async ({ proxy, allowlist }) => {
      const port = proxy.addr.port;
      assertMatch(
        await raw(port, `CONNECT api.test:${closedPort} HTTP/1.1\r\n\r\n`),
        /^HTTP\/1\.1 502 Bad Gateway[\s\S]*cannot connect upstream/,
      );
      assertMatch(
        await raw(port, "CONNECT gone.test:443 HTTP/1.1\r\n\r\n"),
        /^HTTP\/1\.1 502 Bad Gateway[\s\S]*cannot resolve gone\.test/,
      );

      // Idle: the tunnel is closed by the proxy after ~300 ms without traffic.
      const started = Date.now();
      const idle = await raw(port, `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`);
      assertEquals(idle, "HTTP/1.1 200 Connection Established\r\n\r\n");
      assert(Date.now() - started >= 250, "closed only after the idle timeout");

      // Max tunnels: two open tunnels, a third is refused.
      const holders = await Promise.all([1, 2].map(async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        await c.write(encoder.encode(`CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`));
        await c.read(new Uint8Array(64));
        return c;
      }));
      await waitFor("two active tunnels", () => proxy.active() === 2, FAST);
      assertMatch(
        await raw(port, `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`),
        /^HTTP\/1\.1 503 Service Unavailable/,
      );
      for (const c of holders) c.close();
      await waitFor("no active tunnel", () => proxy.active() === 0, FAST);

      // Live change: removing the entry refuses the next request.
      allowlist.splice(0, allowlist.length, ...parseAllowlist(["other.test"]));
      assertMatch(
        await raw(port, `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`),
        /^HTTP\/1\.1 403/,
      );
    }, { idleTimeoutMs: 300, maxTunnels: 2 });
  } finally {
    echo.close();
  }
});

Deno.test("proxy: a tunnel is in the log while it is open, then once, with its totals, after it closes", async () => {
  const echo = echoServer();
  try {
    await withProxy(
      [`api.test:${echo.port}`, `127.0.0.1:${echo.port}`],
      async ({ proxy, log }) => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.addr.port });
        await conn.write(encoder.encode(`CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`));
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        assertEquals(
          decoder.decode(buf.subarray(0, n ?? 0)),
          "HTTP/1.1 200 Connection Established\r\n\r\n",
        );
        await conn.write(encoder.encode("ping"));
        assertEquals(decoder.decode(buf.subarray(0, (await conn.read(buf)) ?? 0)), "ping");

        // Open: logged before the client heard 200, with no totals yet.
        const open = foldEgress(parseProxyLog(log()));
        assertEquals(
          open.map((e) => [e.host, e.port, e.decision, e.state, e.bytesUp, e.bytesDown]),
          [["api.test", echo.port, "allow", "open", null, null]],
        );
        assertEquals(egressRows(open)[1]?.slice(4, 8), ["open", "-", "-", "-"]);
        assertEquals(proxy.active(), 1);

        await conn.write(encoder.encode("pong!"));
        await conn.read(buf);
        await conn.closeWrite();
        while ((await conn.read(buf)) !== null) { /* drain until the proxy closes */ }
        conn.close();
        await waitFor("the close in the log", () => log().includes('"event":"close"'), FAST);

        // Closed: the same entry, now with its totals; two lines in the log, one connection.
        const lines = log().trim().split("\n").map((l) => JSON.parse(l));
        assertEquals(lines.map((l) => l.event), ["open", "close"]);
        assertEquals(lines[0].id, lines[1].id);
        const closed = foldEgress(parseProxyLog(log()));
        assertEquals(closed.length, 1, "an open and its close are one connection");
        assertEquals(
          closed.map((e) => [e.id, e.state, e.bytesUp, e.bytesDown]),
          [[lines[0].id, "closed", 9, 9]],
        );
        assert((closed[0]?.durationMs ?? -1) >= 0);
      },
    );
  } finally {
    echo.close();
  }
});

Deno.test("proxy: stopping the proxy closes its open tunnels and logs their totals first", async () => {
  const echo = echoServer();
  const records: ProxyLogRecord[] = [];
  const proxy = startProxy({
    hostname: "127.0.0.1",
    port: 0,
    allowlist: () => parseAllowlist([`api.test:${echo.port}`, `127.0.0.1:${echo.port}`]),
    resolve: () => Promise.resolve(["127.0.0.1"]),
    log: (r) => records.push(r),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.addr.port });
  try {
    await conn.write(encoder.encode(`CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\nabc`));
    const buf = new Uint8Array(1024);
    let got = "";
    while (!got.endsWith("abc")) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`the tunnel closed after ${JSON.stringify(got)}`);
      got += decoder.decode(buf.subarray(0, n));
    }
    await proxy.close();
    assertEquals(
      records.map((r) => [r.event, r.event === "close" ? [r.bytesUp, r.bytesDown] : null]),
      [["open", null], ["close", [3, 3]]],
    );
  } finally {
    conn.close();
    echo.close();
  }
});

/** A whole answer: a tunnel's head (the tunnel stays open), or a refusal's head and body. */
const ANSWERED = /^HTTP\/1\.1 200 [^\r]*\r\n\r\n|\r\n\r\n[^\r]*\n$/;

Deno.test("proxy: given its own subnets, it never connects into them nor to loopback, even when allowlisted; each refusal is logged", async () => {
  const echo = echoServer();
  const entries = [
    `api.test:${echo.port}`,
    `127.0.0.1:${echo.port}`,
    `http://api.test:${echo.port}`,
    `workspace.test:${echo.port}`,
    `10.89.1.3:${echo.port}`,
  ];
  const names: Record<string, string[]> = {
    "api.test": ["127.0.0.1"],
    "workspace.test": ["10.89.1.3"],
  };
  const start = (ownSubnets?: string[]) => {
    const records: ProxyLogRecord[] = [];
    const proxy = startProxy({
      hostname: "127.0.0.1",
      port: 0,
      allowlist: () => parseAllowlist(entries),
      resolve: (host) => Promise.resolve(names[host] ?? []),
      log: (r) => records.push(r),
      ...(ownSubnets ? { ownSubnets: ownSubnets.map(parseSubnet) } : {}),
    });
    return { proxy, records };
  };
  try {
    // Without its own subnets (a standalone proxy), the allowlisted loopback name is tunnelled:
    // the refusals below are the guard's doing, not the allowlist's.
    const open = start();
    try {
      assertMatch(
        await raw(
          open.proxy.addr.port,
          `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`,
          /\r\n\r\n/,
        ),
        /^HTTP\/1\.1 200 /,
      );
      await waitFor("the upstream to accept", () => echo.accepted() === 1, FAST);
    } finally {
      await open.proxy.close();
    }

    const { proxy, records } = start(["10.89.0.0/24", "10.89.1.0/24"]);
    try {
      const loopback =
        "is the proxy's own host \\(127\\.0\\.0\\.0/8\\); the proxy never connects there";
      const own =
        "is in the workspace's own network 10\\.89\\.1\\.0/24; the proxy never connects there";
      const table: [string, RegExp][] = [
        [
          `CONNECT api.test:${echo.port} HTTP/1.1\r\n\r\n`,
          new RegExp(`^HTTP/1\\.1 403 Forbidden[\\s\\S]*api\\.test: 127\\.0\\.0\\.1 ${loopback}`),
        ],
        [
          `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`,
          new RegExp(`^HTTP/1\\.1 403 Forbidden[\\s\\S]*\\n127\\.0\\.0\\.1 ${loopback}`),
        ],
        [
          `GET http://api.test:${echo.port}/ HTTP/1.1\r\nHost: api.test\r\n\r\n`,
          new RegExp(`^HTTP/1\\.1 403 Forbidden[\\s\\S]*api\\.test: 127\\.0\\.0\\.1 ${loopback}`),
        ],
        [
          `CONNECT workspace.test:${echo.port} HTTP/1.1\r\n\r\n`,
          new RegExp(`^HTTP/1\\.1 403 Forbidden[\\s\\S]*workspace\\.test: 10\\.89\\.1\\.3 ${own}`),
        ],
        [
          `CONNECT 10.89.1.3:${echo.port} HTTP/1.1\r\n\r\n`,
          new RegExp(`^HTTP/1\\.1 403 Forbidden[\\s\\S]*\\n10\\.89\\.1\\.3 ${own}`),
        ],
      ];
      for (const [request, expected] of table) {
        assertMatch(await raw(proxy.addr.port, request, ANSWERED), expected, request);
      }
      await waitFor("a record per row", () => records.length >= table.length, FAST);
      assertEquals(
        records.map((r) => [r.event, r.decision, r.status, r.host]),
        [
          ["deny", "deny", 403, "api.test"],
          ["deny", "deny", 403, "127.0.0.1"],
          ["deny", "deny", 403, "api.test"],
          ["deny", "deny", 403, "workspace.test"],
          ["deny", "deny", 403, "10.89.1.3"],
        ],
      );
      assertEquals(echo.accepted(), 1, "no refused request reached the upstream");
    } finally {
      await proxy.close();
    }
  } finally {
    echo.close();
  }
});

Deno.test("relay: bytes pass both ways unchanged, and a half-close passes through", async () => {
  const echo = echoServer();
  const relay = startRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    target: { hostname: "127.0.0.1", port: echo.port },
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.addr.port });
    const payload = new Uint8Array(300_000).map((_, i) => i % 251);
    const reading = (async () => {
      const got: number[] = [];
      const buf = new Uint8Array(65536);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        got.push(...buf.subarray(0, n));
      }
      return got;
    })();
    let off = 0;
    while (off < payload.length) off += await conn.write(payload.subarray(off));
    assertEquals(relay.active(), 1);
    // Half-close: the echo server sees the end, answers everything, then closes its side.
    await conn.closeWrite();
    const got = await reading;
    conn.close();
    assertEquals(got.length, payload.length);
    assert(got.every((b, i) => b === payload[i]), "the bytes came back unchanged");
    await waitFor("no active relay", () => relay.active() === 0, FAST);
    assertEquals(echo.accepted(), 1);
  } finally {
    await relay.close();
    echo.close();
  }
});

Deno.test("relay: a target that is down closes the client and says why; after close nothing listens", async () => {
  const down = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const downPort = (down.addr as Deno.NetAddr).port;
  down.close();
  const errors: string[] = [];
  const relay = startRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    target: { hostname: "127.0.0.1", port: downPort },
    onError: (m) => errors.push(m),
  });
  const port = relay.addr.port;
  try {
    assertEquals(await raw(port, "hello"), "", "the client is closed without a byte");
    await waitFor("the relay error", () => errors.length === 1, FAST);
    assertMatch(errors[0] ?? "", new RegExp(`^cannot reach 127\\.0\\.0\\.1:${downPort}: `));
  } finally {
    await relay.close();
  }
  let refused = false;
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
  } catch (err) {
    refused = err instanceof Deno.errors.ConnectionRefused;
  }
  assert(refused, "a closed relay listens no more");
});

/** Reads a child's stderr until `count` lines matching `pattern` arrived; returns their matches. */
async function stderrLines(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  count: number,
): Promise<RegExpExecArray[]> {
  const found: RegExpExecArray[] = [];
  let text = "";
  while (found.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the proxy ended early:\n${text}`);
    text += decoder.decode(value);
    const lines = text.split("\n");
    text = lines.pop() ?? "";
    for (const line of lines) {
      const m = pattern.exec(line);
      if (m) found.push(m);
    }
  }
  return found;
}

/** The two ways the sidecar runs the proxy: its light entry point, and `devaipod proxy`. */
const SIDECAR_ENTRIES: [string, string[]][] = [
  [
    "lib/proxy/main.ts",
    [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      new URL("../lib/proxy/main.ts", import.meta.url).pathname,
    ],
  ],
  [
    "devaipod proxy",
    [
      "run",
      "--quiet",
      ...devaipodPermissionFlags(),
      new URL("../main.ts", import.meta.url).pathname,
      "proxy",
    ],
  ],
];

for (const [entry, argv] of SIDECAR_ENTRIES) {
  Deno.test(`proxy sidecar (${entry}): --relay reaches the target, --own-subnet refuses loopback even when allowlisted`, async () => {
    await sidecar(argv);
  });
}

async function sidecar(argv: readonly string[]): Promise<void> {
  const echo = echoServer();
  const child = new Deno.Command(denoProgram(), {
    args: [
      ...argv,
      "--listen",
      "127.0.0.1:0",
      "--relay",
      `127.0.0.1:0=127.0.0.1:${echo.port}`,
      "--own-subnet",
      "10.89.0.0/24",
      "10.89.1.0/24",
      "--allow",
      `127.0.0.1:${echo.port}`,
    ],
    env: { NO_COLOR: "1", DENO_DIR: denoDir() },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  try {
    const [listening, relaying] = await stderrLines(
      reader,
      /^proxy: (listening on|relaying) 127\.0\.0\.1:(\d+)/,
      2,
    );
    assertEquals([listening?.[1], relaying?.[1]], ["listening on", "relaying"]);
    const relayed = await Deno.connect({ hostname: "127.0.0.1", port: Number(relaying?.[2]) });
    await relayed.write(encoder.encode("through the relay"));
    const buf = new Uint8Array(64);
    assertEquals(
      decoder.decode(buf.subarray(0, (await relayed.read(buf)) ?? 0)),
      "through the relay",
    );
    relayed.close();
    assertMatch(
      await raw(
        Number(listening?.[2]),
        `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\n`,
        ANSWERED,
      ),
      /^HTTP\/1\.1 403 Forbidden[\s\S]*127\.0\.0\.1 is the proxy's own host/,
    );
    assertEquals(echo.accepted(), 1, "only the relayed connection reached the server");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    reader.releaseLock();
    await child.stderr.cancel().catch(() => {});
    await child.stdout.cancel().catch(() => {});
    echo.close();
  }
}
