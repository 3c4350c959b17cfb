/**
 * devaipod's egress proxy: raw `Deno.listen`, a hand-parsed request head, and manual pumps
 * (no HTTP framework, which cannot tunnel CONNECT). It resolves names itself and connects only
 * to what the allowlist permits; every decision is one JSON record.
 */
import { decideAddresses, decideTarget, isIpLiteral } from "./allowlist.ts";
import type { AllowEntry, Decision } from "./allowlist.ts";

/** The proxy's limits. */
export interface ProxyLimits {
  /** Largest request head (request line and headers). */
  headBytes: number;
  /** How long the head may take to arrive. */
  headTimeoutMs: number;
  /** A tunnel with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** How long connecting upstream may take (then 504). */
  connectTimeoutMs: number;
  /** Tunnels open at once (more are answered 503). */
  maxTunnels: number;
}

/** The defaults: 8 KiB heads within 10 s, 10 min idle tunnels, 10 s connects, 1024 tunnels. */
export const DEFAULT_LIMITS: ProxyLimits = {
  headBytes: 8192,
  headTimeoutMs: 10_000,
  idleTimeoutMs: 600_000,
  connectTimeoutMs: 10_000,
  maxTunnels: 1024,
};

/** One decision, as logged (one JSON line each). */
export interface DecisionRecord {
  time: string;
  client: string;
  method: string;
  host: string | null;
  port: number | null;
  decision: "allow" | "deny";
  /** The HTTP status the client got. */
  status: number;
  reason: string;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
}

/** How the proxy is set up. */
export interface ProxyOptions {
  hostname: string;
  port: number;
  /** The allowlist, read at every request (so it can change while the proxy runs). */
  allowlist: () => readonly AllowEntry[];
  limits?: Partial<ProxyLimits>;
  /** Resolves a name to addresses (default: A and AAAA through Deno.resolveDns). */
  resolve?: (host: string) => Promise<string[]>;
  log: (record: DecisionRecord) => void;
}

/** A running proxy. */
export interface ProxyServer {
  addr: Deno.NetAddr;
  /** Tunnels open now. */
  active(): number;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_END = [13, 10, 13, 10];

/** The default resolver: every A and AAAA record. */
export async function resolveAll(host: string): Promise<string[]> {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  return [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
}

class HttpFailure extends Error {
  constructor(readonly status: number, reason: string) {
    super(reason);
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: "Connection Established",
  400: "Bad Request",
  403: "Forbidden",
  408: "Request Timeout",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function answer(conn: Deno.Conn, status: number, reason: string): Promise<void> {
  const body = status === 200 ? "" : `${reason}\n`;
  const head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
    (status === 200
      ? ""
      : `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${
        encoder.encode(body).length
      }\r\nConnection: close\r\n`) +
    "\r\n" + body;
  await writeAll(conn, encoder.encode(head)).catch(() => {});
}

function indexOfHeadEnd(buf: Uint8Array, length: number): number {
  outer: for (let i = 0; i + 4 <= length; i++) {
    for (let j = 0; j < 4; j++) if (buf[i + j] !== HEAD_END[j]) continue outer;
    return i;
  }
  return -1;
}

/** Reads the request head: its text, and any bytes that came after it. */
async function readHead(
  conn: Deno.Conn,
  limits: ProxyLimits,
): Promise<{ head: string; rest: Uint8Array }> {
  const buf = new Uint8Array(limits.headBytes + 4);
  let length = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HttpFailure(408, `the request head did not arrive within ${limits.headTimeoutMs} ms`),
        ),
      limits.headTimeoutMs,
    );
  });
  try {
    while (true) {
      const chunk = new Uint8Array(4096);
      const n = await Promise.race([conn.read(chunk), timeout]);
      if (n === null) {
        throw new HttpFailure(400, "the connection closed before the request head ended");
      }
      const room = buf.length - length;
      buf.set(chunk.subarray(0, Math.min(n, room)), length);
      length += Math.min(n, room);
      const end = indexOfHeadEnd(buf, length);
      if (end >= 0) {
        if (end > limits.headBytes) {
          throw new HttpFailure(400, `request head larger than ${limits.headBytes} bytes`);
        }
        const extra = chunk.subarray(Math.min(n, room), n);
        const rest = new Uint8Array([...buf.subarray(end + 4, length), ...extra]);
        return { head: decoder.decode(buf.subarray(0, end)), rest };
      }
      if (length > limits.headBytes) {
        throw new HttpFailure(400, `request head larger than ${limits.headBytes} bytes`);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** A parsed proxy request. */
export interface ProxyRequest {
  method: string;
  host: string;
  port: number;
  kind: AllowEntry["kind"];
  /** For plain HTTP: the request rewritten to origin form, ready to send upstream. */
  upstreamHead?: string;
}

/** Parses a request head: `CONNECT host:port` or an absolute-form `http://` request. */
export function parseRequest(head: string): ProxyRequest {
  const [line = "", ...headers] = head.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) {
    throw new HttpFailure(400, `malformed request line: ${JSON.stringify(line.slice(0, 100))}`);
  }
  const [, method = "", target = ""] = m;
  if (method === "CONNECT") {
    const t = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/]+)):(\d{1,5})$/.exec(target);
    const port = Number(t?.[3]);
    if (!t || port < 1 || port > 65535) {
      throw new HttpFailure(400, `CONNECT target must be host:port, got ${JSON.stringify(target)}`);
    }
    return { method, host: (t[1] ?? t[2] ?? "").toLowerCase(), port, kind: "connect" };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new HttpFailure(
      400,
      `not a proxy request (${method} ${
        target.slice(0, 100)
      }): use CONNECT, or an absolute http:// URL`,
    );
  }
  if (url.protocol !== "http:") {
    throw new HttpFailure(400, `only http:// URLs can be sent in the clear, got ${url.protocol}`);
  }
  const kept = headers.filter((h) =>
    !/^(proxy-connection|proxy-authorization|connection|keep-alive):/i.test(h)
  );
  const upstreamHead = [
    `${method} ${url.pathname}${url.search} HTTP/1.1`,
    ...kept,
    "Connection: close",
    "",
    "",
  ].join("\r\n");
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return { method, host, port: url.port ? Number(url.port) : 80, kind: "http", upstreamHead };
}

async function connectUpstream(
  addresses: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<Deno.TcpConn> {
  let last: unknown;
  for (const hostname of addresses) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        Deno.connect({ hostname, port }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new HttpFailure(504, `connecting to ${hostname}:${port} timed out`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      last = err;
    } finally {
      clearTimeout(timer);
    }
  }
  if (last instanceof HttpFailure) throw last;
  throw new HttpFailure(
    502,
    `cannot connect upstream: ${(last as Error)?.message ?? "no address"}`,
  );
}

/** A pump's buffer starts small (idle tunnels stay cheap) and doubles while reads fill it. */
const PUMP_MIN = 16 * 1024;
const PUMP_MAX = 1024 * 1024;

/** Copies `from` to `to` until end of stream, then half-closes `to`; counts bytes and activity. */
async function pump(from: Deno.Conn, to: Deno.Conn, count: (n: number) => void): Promise<void> {
  let buf = new Uint8Array(PUMP_MIN);
  try {
    while (true) {
      const n = await from.read(buf);
      if (n === null) break;
      await writeAll(to, buf.subarray(0, n));
      count(n);
      if (n === buf.length && buf.length < PUMP_MAX) buf = new Uint8Array(buf.length * 2);
    }
  } catch {
    // Either side went away: the tunnel ends.
  }
  await to.closeWrite().catch(() => {});
}

/** Starts the proxy. */
export function startProxy(options: ProxyOptions): ProxyServer {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const resolve = options.resolve ?? resolveAll;
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    transport: "tcp",
  });
  const tunnels = new Set<{ last: number; close: () => void }>();
  const conns = new Set<Deno.Conn>();
  let closing = false;

  // One sweep a second closes idle tunnels.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const t of tunnels) if (now - t.last > limits.idleTimeoutMs) t.close();
  }, Math.min(1000, limits.idleTimeoutMs));

  const handle = async (conn: Deno.Conn) => {
    const started = performance.now();
    const client = `${(conn.remoteAddr as Deno.NetAddr).hostname}:${
      (conn.remoteAddr as Deno.NetAddr).port
    }`;
    const record = (
      req: Partial<ProxyRequest>,
      decision: Decision,
      status: number,
      up = 0,
      down = 0,
    ) =>
      options.log({
        time: new Date().toISOString(),
        client,
        method: req.method ?? "",
        host: req.host ?? null,
        port: req.port ?? null,
        decision: decision.allow && status === 200 ? "allow" : "deny",
        status,
        reason: decision.reason,
        bytesUp: up,
        bytesDown: down,
        durationMs: Math.round(performance.now() - started),
      });
    let req: Partial<ProxyRequest> = {};
    let upstream: Deno.TcpConn | undefined;
    try {
      if (tunnels.size >= limits.maxTunnels) {
        throw new HttpFailure(503, `too many tunnels (${limits.maxTunnels})`);
      }
      const { head, rest } = await readHead(conn, limits);
      req = parseRequest(head);
      const r = req as ProxyRequest;
      const allowlist = options.allowlist();
      const byName = decideTarget(allowlist, r.host, r.port, r.kind);
      if (!byName.allow) throw new HttpFailure(403, byName.reason);
      let addresses: string[];
      if (isIpLiteral(r.host)) {
        addresses = [r.host];
      } else {
        try {
          addresses = await resolve(r.host);
        } catch (err) {
          throw new HttpFailure(502, `cannot resolve ${r.host}: ${(err as Error).message}`);
        }
        if (addresses.length === 0) throw new HttpFailure(502, `cannot resolve ${r.host}`);
      }
      const byAddress = decideAddresses(allowlist, addresses, r.port);
      if (!byAddress.allow) throw new HttpFailure(403, `${r.host} ${byAddress.reason}`);
      upstream = await connectUpstream(addresses, r.port, limits.connectTimeoutMs);
      if (r.kind === "connect") await answer(conn, 200, "");
      else await writeAll(upstream, encoder.encode(r.upstreamHead ?? ""));
      if (rest.length) await writeAll(upstream, rest);

      let up = rest.length;
      let down = 0;
      const up_ = upstream;
      const tunnel = {
        last: Date.now(),
        close: () => {
          try {
            conn.close();
          } catch { /* closed */ }
          try {
            up_.close();
          } catch { /* closed */ }
        },
      };
      tunnels.add(tunnel);
      try {
        await Promise.all([
          pump(conn, upstream, (n) => {
            up += n;
            tunnel.last = Date.now();
          }),
          pump(upstream, conn, (n) => {
            down += n;
            tunnel.last = Date.now();
          }),
        ]);
      } finally {
        tunnels.delete(tunnel);
      }
      record(req, byName, 200, up, down);
    } catch (err) {
      const failure = err instanceof HttpFailure
        ? err
        : new HttpFailure(502, (err as Error).message);
      if (!closing) await answer(conn, failure.status, failure.message);
      record(req, { allow: false, reason: failure.message }, failure.status);
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
      try {
        upstream?.close();
      } catch { /* closed */ }
      conns.delete(conn);
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        handle(conn);
      }
    } catch {
      // listener closed
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    active: () => tunnels.size,
    close: async () => {
      closing = true;
      clearInterval(sweeper);
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
    },
  };
}
