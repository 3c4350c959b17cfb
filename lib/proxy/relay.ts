/**
 * The one way in: a plain TCP relay in the proxy sidecar, listening on its address on the
 * workspace's link network and passing each connection to the agent's port on the internal
 * network. The workspace reaches the agent through it; the agent, on the internal network only,
 * cannot reach the link network at all, and the relay opens nothing towards the workspace. Pure
 * plumbing: no allowlist, no parsing of what passes (the agent's own password guards its port).
 */
import { pump } from "./server.ts";

/** A host and port (IPv6 without brackets). */
export interface HostPort {
  hostname: string;
  port: number;
}

/** One relay: where it listens, and where each connection goes. */
export interface RelaySpec {
  listen: HostPort;
  target: HostPort;
}

/** Parses `host:port` (`[v6]:port` for IPv6); undefined when it is not one. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(\[[^\]]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) return undefined;
  return { hostname: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

/**
 * Parses `LISTEN=TARGET`, each `host:port` (`10.89.1.2:4096=10.89.0.3:4096`); throws an Error
 * naming the text.
 */
export function parseRelay(text: string): RelaySpec {
  const [listenText = "", targetText = "", ...more] = text.split("=");
  const listen = parseHostPort(listenText);
  const target = parseHostPort(targetText);
  if (!listen || !target || more.length || target.port === 0) {
    throw new Error(
      `'${text}': expected LISTEN=TARGET, each host:port (10.89.1.2:4096=10.89.0.3:4096)`,
    );
  }
  return { listen, target };
}

/** A running relay. */
export interface RelayServer {
  addr: Deno.NetAddr;
  /** Connections relayed now. */
  active(): number;
  close(): Promise<void>;
}

/**
 * Starts a relay. A connection whose target cannot be reached within `connectTimeoutMs` is
 * closed, and `onError` hears why.
 */
export function startRelay(
  spec: RelaySpec & { connectTimeoutMs?: number; onError?: (message: string) => void },
): RelayServer {
  const listener = Deno.listen({ ...spec.listen, transport: "tcp" });
  const timeoutMs = spec.connectTimeoutMs ?? 10_000;
  const open = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const closeQuietly = (c: Deno.Conn | undefined) => {
    try {
      c?.close();
    } catch { /* closed */ }
  };

  const handle = async (conn: Deno.Conn) => {
    let target: Deno.Conn | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      target = await Promise.race([
        Deno.connect({ ...spec.target, transport: "tcp" }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      open.add(target);
      await Promise.all([pump(conn, target, () => {}), pump(target, conn, () => {})]);
    } catch (err) {
      spec.onError?.(
        `cannot reach ${spec.target.hostname}:${spec.target.port}: ${(err as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
      closeQuietly(conn);
      closeQuietly(target);
      open.delete(conn);
      if (target) open.delete(target);
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        open.add(conn);
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
    active: () => handlers.size,
    close: async () => {
      listener.close();
      for (const c of open) closeQuietly(c);
      await accepting;
      // A connection still reaching its target is not waited for longer than a moment.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(handlers),
        new Promise((r) => timer = setTimeout(r, 1000)),
      ]);
      clearTimeout(timer);
    },
  };
}
