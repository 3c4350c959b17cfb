/**
 * The SSH bridge's helper inside the workspace container. The bridge runs it with
 * `podman exec -i` from devaipod's sources, which are bind-mounted read-only at
 * /opt/devaipod/src, with the deno binary at /opt/devaipod/bin/deno:
 *
 * ```
 * /opt/devaipod/bin/deno run --quiet --no-config --no-lock --allow-read --allow-write \
 *   --allow-net --allow-env /opt/devaipod/src/lib/ssh/in_container.ts MODE ARGS…
 * ```
 *
 * Modes:
 * - `sftp`: an SFTP version 3 server on stdin/stdout (see `sftp_server.ts`). Exit 0 when stdin
 *   ends.
 * - `tcp HOST PORT` / `unix PATH`: connect from inside the container (direct-tcpip and
 *   direct-streamlocal channels). The first byte on stdout says how that went: 0x00, then the
 *   stream; or 0x01, then a one-line UTF-8 reason and a newline, and exit 1 (2 for bad
 *   arguments). In the stream, stdin's EOF half-closes the socket (the reply still comes back);
 *   the socket's EOF ends the process (exit 0) once its data is on stdout, even if stdin is
 *   still open, because a Deno process cannot close its stdout early. Exit 1 when a read or
 *   write fails mid-stream.
 *
 * Runs without a config or lock file: only Deno APIs and relative imports of files that do the
 * same (no npm:, jsr: or bare specifiers) may appear here and in what it imports.
 */

import { type ByteSink, type ByteSource, serveSftp } from "./sftp_server.ts";

/** First byte on stdout in tcp/unix mode: connected, the stream follows. */
export const CONNECTED = 0x00;
/** First byte on stdout in tcp/unix mode: not connected, a reason line follows. */
export const REFUSED = 0x01;

const USAGE = "usage: in_container.ts sftp | tcp HOST PORT | unix PATH";
const RELAY_BUFFER = 256 * 1024;

const encoder = new TextEncoder();

async function writeAll(sink: ByteSink, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await sink.write(data.subarray(at));
}

/** Writes {@link REFUSED} and the reason (one line) to stdout, the reason to stderr. */
async function refuse(reason: string, code: number): Promise<number> {
  const line = reason.replace(/[\r\n]+/g, " ").trim();
  console.error(`devaipod helper: ${line}`);
  const text = encoder.encode(`${line}\n`);
  const out = new Uint8Array(1 + text.length);
  out[0] = REFUSED;
  out.set(text, 1);
  try {
    await writeAll(Deno.stdout, out);
  } catch {
    // nobody is listening; the exit status still tells
  }
  return code;
}

/** A socket's read/write halves as the relay needs them. */
interface Stream extends ByteSource, ByteSink {
  closeWrite(): Promise<void>;
  close(): void;
}

/**
 * Copies input → conn and conn → output. Input EOF half-closes the socket (`closeWrite`) and
 * the relay goes on until the socket's EOF. The socket's EOF ends the relay, even when input is
 * still open: Deno cannot close file descriptor 1 (`Deno.stdout.close()` leaves it open), so
 * the only EOF this process can give its stdout is its exit. Resolves to 0 when the socket's
 * data all reached output, 1 when a read or write failed. The caller exits promptly after (a
 * stdin read may still be pending).
 */
async function relay(conn: Stream, input: ByteSource, output: ByteSink): Promise<number> {
  const { promise: failure, resolve: failed } = Promise.withResolvers<unknown>();
  const up = async (): Promise<void> => {
    const buf = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await input.read(buf);
      if (n === null) break;
      await writeAll(conn, buf.subarray(0, n));
    }
    await conn.closeWrite();
  };
  const down = async (): Promise<void> => {
    const buf = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      await writeAll(output, buf.subarray(0, n));
    }
  };
  up().catch(failed);
  const outcome = await Promise.race([
    down().then(() => null, (e) => ({ error: e })),
    failure.then((e) => ({ error: e })),
  ]);
  try {
    conn.close();
  } catch {
    // already closed
  }
  if (outcome === null) return 0;
  const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
  console.error(`devaipod helper: relay failed: ${message}`);
  return 1;
}

async function connectAndRelay(
  connect: () => Promise<Deno.Conn>,
  what: string,
): Promise<number> {
  let conn: Deno.Conn;
  try {
    conn = await connect();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return await refuse(`connecting to ${what} failed: ${message}`, 1);
  }
  try {
    await writeAll(Deno.stdout, Uint8Array.of(CONNECTED));
  } catch {
    conn.close();
    return 1;
  }
  return await relay(conn, Deno.stdin, Deno.stdout);
}

/** Runs one helper mode with its arguments; resolves to the process exit status. */
export async function runHelper(args: string[]): Promise<number> {
  const [mode, ...rest] = args;
  switch (mode) {
    case "sftp": {
      if (rest.length !== 0) break;
      return await serveSftp({
        input: Deno.stdin,
        output: Deno.stdout,
        log: (message) => console.error(message),
      });
    }
    case "tcp": {
      const [host, portText = ""] = rest;
      const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
      if (rest.length !== 2 || host === undefined || host === "") break;
      if (port < 1 || port > 65535) {
        return await refuse(`bad port: ${portText}`, 2);
      }
      const hostname = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
      return await connectAndRelay(
        () => Deno.connect({ hostname, port }),
        hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`,
      );
    }
    case "unix": {
      const [path] = rest;
      if (rest.length !== 1 || path === undefined || path === "") break;
      return await connectAndRelay(() => Deno.connect({ transport: "unix", path }), path);
    }
  }
  if (mode === "tcp" || mode === "unix") return await refuse(USAGE, 2);
  console.error(USAGE);
  return 2;
}

if (import.meta.main) {
  Deno.exit(await runHelper(Deno.args));
}
