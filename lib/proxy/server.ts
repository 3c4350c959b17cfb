/**
 * devaipod's egress proxy: raw `Deno.listen`, a hand-parsed request head, and manual pumps
 * (no HTTP framework, which cannot tunnel CONNECT). It resolves names itself and connects only
 * to what the allowlist permits. Every connection is logged as JSON records: a refusal once, an
 * allowed tunnel when it opens and, with its totals, when it closes ({@link ProxyLogRecord}).
 */
import { decideAddresses, decideTarget, isIpLiteral } from "./allowlist.ts";
import type { AllowEntry, Decision } from "./allowlist.ts";
import { decideOwnNetworks } from "./own_networks.ts";
import type { Subnet } from "./own_networks.ts";

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

/** What every log record says about its connection. */
interface RecordBase {
  /** When the record was written (ISO 8601). */
  time: string;
  /** The connection's id, unique in this proxy's log: an `open` and its `close` share it. */
  id: string;
  client: string;
  method: string;
  host: string | null;
  port: number | null;
  decision: "allow" | "deny";
  /** The HTTP status the client got. */
  status: number;
  reason: string;
}

/**
 * One record of the proxy's log (one JSON line each). An allowed connection is logged twice:
 * `open` when its tunnel stands (upstream connected), `close` with its totals when it ends. A
 * refused one is logged once, `deny`. Records written before ids and events existed have
 * neither, and were written when the connection ended.
 */
export type ProxyLogRecord =
  | RecordBase & { event: "open" }
  | RecordBase & {
    event: "close" | "deny";
    /** Bytes from the client upstream, and back. */
    bytesUp: number;
    bytesDown: number;
    /** From the connection's arrival to its end. */
    durationMs: number;
  };

/** How the proxy is set up. */
export interface ProxyOptions {
  hostname: string;
  port: number;
  /** The allowlist, read at every request (so it can change while the proxy runs). */
  allowlist: () => readonly AllowEntry[];
  limits?: Partial<ProxyLimits>;
  /** Resolves a name to addresses (default: A and AAAA through Deno.resolveDns). */
  resolve?: (host: string) => Promise<string[]>;
  /**
   * The workspace's own networks (the sidecar's internal and link subnets). When given, the
   * proxy never connects into them, nor to loopback or the unspecified address, whatever the
   * allowlist says ({@link decideOwnNetworks}); absent, only the allowlist decides.
   */
  ownSubnets?: readonly Subnet[];
  log: (record: ProxyLogRecord) => void;
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

/** Writes every byte (a socket's write may take only part). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
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
export async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  count: (n: number) => void,
): Promise<void> {
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
  const handlers = new Set<Promise<void>>();
  // Ids stay unique in a log that outlives this process (a restarted sidecar appends to it).
  const run = crypto.randomUUID().slice(0, 8);
  let count = 0;
  let closing = false;

  // One sweep a second closes idle tunnels.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const t of tunnels) if (now - t.last > limits.idleTimeoutMs) t.close();
  }, Math.min(1000, limits.idleTimeoutMs));

  const handle = async (conn: Deno.Conn) => {
    const started = performance.now();
    const id = `${run}-${++count}`;
    const client = `${(conn.remoteAddr as Deno.NetAddr).hostname}:${
      (conn.remoteAddr as Deno.NetAddr).port
    }`;
    const base = <E extends ProxyLogRecord["event"]>(
      event: E,
      req: Partial<ProxyRequest>,
      decision: Decision,
      status: number,
    ) => ({
      time: new Date().toISOString(),
      id,
      event,
      client,
      method: req.method ?? "",
      host: req.host ?? null,
      port: req.port ?? null,
      decision: decision.allow && status === 200 ? "allow" as const : "deny" as const,
      status,
      reason: decision.reason,
    });
    const durationMs = () => Math.round(performance.now() - started);
    let req: Partial<ProxyRequest> = {};
    let upstream: Deno.TcpConn | undefined;
    // Set once the tunnel stands and its `open` is logged: from then on it ends with a `close`.
    let opened: Decision | undefined;
    let up = 0;
    let down = 0;
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
      if (options.ownSubnets) {
        const own = decideOwnNetworks(options.ownSubnets, addresses);
        if (!own.allow) {
          throw new HttpFailure(403, isIpLiteral(r.host) ? own.reason : `${r.host}: ${own.reason}`);
        }
      }
      const byAddress = decideAddresses(allowlist, addresses, r.port);
      if (!byAddress.allow) throw new HttpFailure(403, `${r.host} ${byAddress.reason}`);
      upstream = await connectUpstream(addresses, r.port, limits.connectTimeoutMs);
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
      // Logged before the client hears 200: whoever sees the tunnel can read it in the log.
      options.log(base("open", req, byName, 200));
      opened = byName;
      try {
        if (r.kind === "connect") await answer(conn, 200, "");
        else await writeAll(upstream, encoder.encode(r.upstreamHead ?? ""));
        if (rest.length) await writeAll(upstream, rest);
        up = rest.length;
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
    } catch (err) {
      // An open tunnel just ends (its client already has its answer); anything else is refused.
      if (!opened) {
        const failure = err instanceof HttpFailure
          ? err
          : new HttpFailure(502, (err as Error).message);
        if (!closing) await answer(conn, failure.status, failure.message);
        options.log({
          ...base("deny", req, { allow: false, reason: failure.message }, failure.status),
          bytesUp: 0,
          bytesDown: 0,
          durationMs: durationMs(),
        });
      }
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
      try {
        upstream?.close();
      } catch { /* closed */ }
      conns.delete(conn);
      if (opened) {
        options.log({
          ...base("close", req, opened, 200),
          bytesUp: up,
          bytesDown: down,
          durationMs: durationMs(),
        });
      }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const handler = handle(conn);
        handlers.add(handler);
        handler.finally(() => handlers.delete(handler));
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
      for (const t of tunnels) t.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      // Every tunnel's `close` (its totals) is logged before the proxy stops, but a connection
      // still resolving or connecting upstream is not waited for longer than a moment.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(handlers),
        new Promise((r) => timer = setTimeout(r, 1000)),
      ]);
      clearTimeout(timer);
    },
  };
}
