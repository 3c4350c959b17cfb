/**
 * The proxy's provider endpoints: plain HTTP on the workspace's internal network, one path
 * prefix per LLM provider (`/anthropic/v1/messages`). Each request goes on to the provider over
 * verified TLS with the real key, which only the proxy holds, in place of whatever credentials
 * the agent sent. Responses, streamed ones too, come back as they arrive. Every call is logged as
 * one record in the proxy's log format, with its byte counts and never the key.
 *
 * {@link routeProvider} and {@link upstreamHeaders} decide; the server only asks them.
 */
import type { KeyHeader } from "../agents/providers.ts";
import type { ProxyLogRecord } from "./server.ts";

/** A provider as the endpoints serve it. */
export interface EndpointProvider {
  id: string;
  /** Where its requests go (no trailing slash). */
  upstream: string;
  header: KeyHeader;
  /** The real key, read when a request comes (a missing one answers 503). */
  key: () => string | undefined;
}

/** Where a request goes: its provider and the full upstream URL. */
export interface ProviderRoute {
  provider: EndpointProvider;
  url: string;
}

/**
 * The route of `pathAndQuery` (`/ID/rest?query`): the provider named by its first segment, and
 * the upstream URL with the rest. Anything else, or a path that climbs out (`..`), has none.
 *
 * @example
 * ```ts
 * routeProvider("/anthropic/v1/messages?beta=true", providers)?.url;
 * // "https://api.anthropic.com/v1/messages?beta=true"
 * ```
 */
export function routeProvider(
  pathAndQuery: string,
  providers: readonly EndpointProvider[],
): ProviderRoute | undefined {
  const m = /^\/([a-z0-9-]+)(\/[^?#]*)?(\?[^#]*)?$/.exec(pathAndQuery);
  if (!m) return undefined;
  const provider = providers.find((p) => p.id === m[1]);
  const rest = m[2] ?? "/";
  if (!provider || rest.split("/").some((s) => s === ".." || s === ".")) return undefined;
  if (/%2e|%2f/i.test(rest)) return undefined;
  return { provider, url: `${provider.upstream}${rest}${m[3] ?? ""}` };
}

/** Headers never passed on: credentials of the agent's, hop-by-hop ones, and the host. */
const DROPPED = new Set([
  "authorization",
  "x-api-key",
  "x-goog-api-key",
  "api-key",
  "proxy-authorization",
  "proxy-connection",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "cookie",
]);

/**
 * The headers sent upstream: the agent's, less its credentials and hop-by-hop headers, plus the
 * real key in the provider's header.
 */
export function upstreamHeaders(incoming: Headers, header: KeyHeader, key: string): Headers {
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (!DROPPED.has(name.toLowerCase())) out.set(name, value);
  }
  out.set(header.name, header.name === "authorization" ? `${header.scheme} ${key}` : key);
  return out;
}

/** Options of {@link startProviderEndpoints}. */
export interface ProviderEndpointOptions {
  hostname: string;
  port: number;
  providers: readonly EndpointProvider[];
  /** The client upstream calls go through (extra CA certificates); default: Deno's. */
  client?: Deno.HttpClient;
  /** One record per call. */
  log?: (record: ProxyLogRecord & { provider?: string }) => void;
}

/** A running set of endpoints. */
export interface ProviderEndpoints {
  addr: Deno.NetAddr;
  close(): Promise<void>;
}

/** Counts the bytes of `body` as they pass; `done` is called once with the total. */
function counted(
  body: ReadableStream<Uint8Array> | null,
  done: (bytes: number) => void,
): ReadableStream<Uint8Array> | null {
  if (!body) {
    done(0);
    return null;
  }
  let bytes = 0;
  let reported = false;
  const report = () => {
    if (!reported) {
      reported = true;
      done(bytes);
    }
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
      flush: report,
      cancel: report,
    } as Transformer<Uint8Array, Uint8Array>),
  );
}

/** Serves the endpoints of `providers` on `hostname:port`. */
export function startProviderEndpoints(options: ProviderEndpointOptions): ProviderEndpoints {
  // Ids stay unique in a log that outlives this process, apart from the tunnels' (`RUN-N`).
  const run = crypto.randomUUID().slice(0, 8);
  let next = 0;
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
  }, async (request, info) => {
    const started = performance.now();
    const id = `${run}-p${++next}`;
    const url = new URL(request.url);
    const route = routeProvider(`${url.pathname}${url.search}`, options.providers);
    const base = {
      time: new Date().toISOString(),
      id,
      client: `${info.remoteAddr.hostname}:${info.remoteAddr.port}`,
      method: request.method,
    };
    const logRecord = (
      status: number,
      reason: string,
      bytesUp: number,
      bytesDown: number,
      target?: URL,
      provider?: string,
    ) =>
      options.log?.({
        ...base,
        event: "close",
        host: target?.hostname ?? null,
        port: target ? Number(target.port || (target.protocol === "https:" ? 443 : 80)) : null,
        decision: route ? "allow" : "deny",
        status,
        reason,
        bytesUp,
        bytesDown,
        durationMs: Math.round(performance.now() - started),
        ...(provider ? { provider } : {}),
      });
    if (!route) {
      logRecord(404, "no provider endpoint at this path", 0, 0);
      return new Response("devaipod: no provider endpoint here\n", { status: 404 });
    }
    const target = new URL(route.url);
    const key = route.provider.key();
    if (!key) {
      logRecord(503, `provider ${route.provider.id}: no key`, 0, 0, target, route.provider.id);
      return new Response(`devaipod: the proxy holds no key for ${route.provider.id}\n`, {
        status: 503,
      });
    }
    // Requests are small (a conversation); read whole, they go on with their length.
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const bytesUp = body?.byteLength ?? 0;
    let upstream: Response;
    try {
      upstream = await fetch(route.url, {
        method: request.method,
        headers: upstreamHeaders(request.headers, route.provider.header, key),
        ...(body ? { body } : {}),
        redirect: "manual",
        signal: request.signal,
        ...(options.client ? { client: options.client } : {}),
      } as RequestInit);
    } catch (err) {
      const cause = (err as Error).cause;
      const why = `${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ""}`;
      const reason = `provider ${route.provider.id}: ${why}`;
      logRecord(502, reason, bytesUp, 0, target, route.provider.id);
      return new Response(`devaipod: ${reason}\n`, { status: 502 });
    }
    const headers = new Headers(upstream.headers);
    for (const h of ["connection", "keep-alive", "transfer-encoding", "content-length"]) {
      headers.delete(h);
    }
    const reason = `provider ${route.provider.id}`;
    const done = (n: number) =>
      logRecord(upstream.status, reason, bytesUp, n, target, route.provider.id);
    // A body of known length goes back whole; a stream (server-sent events) as it comes.
    const length = upstream.headers.get("content-length");
    if (length !== null && /^\d+$/.test(length) && Number(length) <= 16 * 1024 * 1024) {
      const whole = new Uint8Array(await upstream.arrayBuffer());
      done(whole.byteLength);
      return new Response(whole, { status: upstream.status, headers });
    }
    return new Response(counted(upstream.body, done), { status: upstream.status, headers });
  });
  return {
    addr: server.addr as Deno.NetAddr,
    close: async () => {
      await server.shutdown();
    },
  };
}
