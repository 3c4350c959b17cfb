/**
 * A command in a Pod's container through the API's exec subresource, over its WebSocket protocol
 * (`v5.channel.k8s.io`, else `v4`): every message is one channel byte (0 stdin, 1 stdout,
 * 2 stderr, 3 the final Status, 4 terminal size; 255 closes a stream, v5 only) and its data. The
 * Status carries the exit code. The framing is pure ({@link frame}, {@link exitCodeOf}); the
 * socket is the only effect.
 */
import { z } from "zod";
import { KubeApiError } from "./client.ts";
import type { KubeClient } from "./client.ts";
import { resourcePath } from "./client.ts";

/** The channel protocols asked for, preferred first. */
export const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

/** The channels of the exec protocol. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** One message: the channel byte, then `data`. */
export function frame(channel: number, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(data.length + 1);
  out[0] = channel;
  out.set(data, 1);
  return out;
}

const statusSchema = z.object({
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z.object({
    causes: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() }))
      .optional(),
  }).passthrough().optional(),
}).passthrough();

/**
 * The exit code the error channel's Status says: 0 for Success, the `ExitCode` cause of a
 * NonZeroExitCode failure, or a {@link KubeApiError} for any other failure (the command could
 * not start).
 */
export function exitCodeOf(text: string, what: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KubeApiError(what, 0, `unreadable status: ${text.slice(0, 200)}`);
  }
  const s = statusSchema.safeParse(parsed);
  if (!s.success) throw new KubeApiError(what, 0, `unreadable status: ${text.slice(0, 200)}`);
  if (s.data.status === "Success") return 0;
  const code = s.data.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
  if (s.data.reason === "NonZeroExitCode" && code !== undefined && /^\d+$/.test(code)) {
    return Number(code);
  }
  throw new KubeApiError(what, 0, s.data.message ?? text.slice(0, 200));
}

/** What {@link kubeExec} asks for. */
export interface ExecRequest {
  pod: string;
  container: string;
  command: readonly string[];
  /** Send stdin (else the command's stdin is closed). */
  stdin?: boolean;
  tty?: boolean;
}

/** A running exec: its streams like a child process's, its exit code, a terminal resize. */
export interface KubeExecProcess {
  /** The protocol the server chose. */
  protocol: string;
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  /** The command's exit code, once it ends. */
  status: Promise<number>;
  resize(cols: number, rows: number): void;
  close(): void;
}

/** Starts `request` in a Pod through `client`'s server. */
export function kubeExec(client: KubeClient, request: ExecRequest): Promise<KubeExecProcess> {
  const query = new URLSearchParams([
    ["container", request.container],
    ...request.command.map((c) => ["command", c] as [string, string]),
    ["stdin", String(request.stdin === true)],
    ["stdout", "true"],
    ["stderr", String(request.tty !== true)],
    ["tty", String(request.tty === true)],
  ]);
  const url = `${client.target.server.replace(/^http/, "ws")}${
    resourcePath("Pod", client.namespace, request.pod)
  }/exec?${query}`;
  const what = `exec in ${request.pod}`;
  const http = client.httpClient;
  const ws = new WebSocket(url, {
    protocols: [...EXEC_PROTOCOLS],
    headers: client.headers(),
    ...(http ? { client: http } : {}),
  });
  ws.binaryType = "arraybuffer";
  let out!: ReadableStreamDefaultController<Uint8Array>;
  let err!: ReadableStreamDefaultController<Uint8Array>;
  const stdout = new ReadableStream<Uint8Array>({ start: (c) => void (out = c) });
  const stderr = new ReadableStream<Uint8Array>({ start: (c) => void (err = c) });
  let statusText: string | undefined;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const end = () => {
    for (const c of [out, err]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  return new Promise((resolve, reject) => {
    let opened = false;
    const status = new Promise<number>((done, fail) => {
      ws.onmessage = (e) => {
        const bytes = new Uint8Array(e.data as ArrayBuffer);
        const data = bytes.subarray(1);
        if (bytes[0] === CHANNEL.stdout) out.enqueue(data.slice());
        else if (bytes[0] === CHANNEL.stderr) err.enqueue(data.slice());
        else if (bytes[0] === CHANNEL.error) statusText = (statusText ?? "") + dec.decode(data);
      };
      ws.onclose = (e) => {
        end();
        if (!opened) {
          reject(new KubeApiError(what, 0, `the server refused the exec (${e.code} ${e.reason})`));
          return;
        }
        if (statusText === undefined) {
          fail(new KubeApiError(what, 0, `the connection closed without a status (${e.code})`));
          return;
        }
        try {
          done(exitCodeOf(statusText, what));
        } catch (x) {
          fail(x);
        }
      };
    });
    ws.onerror = (e) => {
      if (!opened) {
        reject(
          new KubeApiError(
            what,
            0,
            `cannot open the exec stream: ${(e as ErrorEvent).message ?? "error"}`,
            { hint: 'the Role needs create on pods/exec (README, "Kubernetes")' },
          ),
        );
      }
    };
    ws.onopen = () => {
      opened = true;
      const v5 = ws.protocol === EXEC_PROTOCOLS[0];
      const send = (channel: number, data: Uint8Array) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame(channel, data));
      };
      const stdin = new WritableStream<Uint8Array>({
        write: (chunk) => send(CHANNEL.stdin, chunk),
        // v5 can say stdin ended; v4 cannot (the command then sees no end of input).
        close: () => {
          if (v5) send(CHANNEL.close, new Uint8Array([CHANNEL.stdin]));
        },
      });
      resolve({
        protocol: ws.protocol,
        stdin,
        stdout,
        stderr,
        status,
        resize: (cols, rows) =>
          send(CHANNEL.resize, enc.encode(JSON.stringify({ Width: cols, Height: rows }))),
        close: () => ws.close(),
      });
    };
  });
}

/** Runs `command` in a Pod's container without stdin, to its end: its exit code and output. */
export async function kubeRun(
  client: KubeClient,
  where: { pod: string; container: string },
  command: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = await kubeExec(client, { ...where, command });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.status,
  ]);
  proc.close();
  return { code, stdout, stderr };
}
