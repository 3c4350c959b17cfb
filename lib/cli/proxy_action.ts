/** What `devaipod proxy` does: serve until SIGTERM/SIGINT, logging every decision as JSON. */
import { UsageError } from "../errors.ts";
import { watchAllowFile } from "../proxy/allow_file.ts";
import { entryProblems, parseAllowlist } from "../proxy/allowlist.ts";
import type { AllowEntry } from "../proxy/allowlist.ts";
import { startProxy } from "../proxy/server.ts";
import type { CliContext } from "./context.ts";

/** Options of `devaipod proxy`. */
export interface ProxyCliOptions {
  listen: string;
  allowFile?: string;
  allow?: string[];
  headTimeout: string;
  idleTimeout: string;
  maxTunnels: string;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${flag}: expected a positive whole number, got '${value}'`);
  }
  return n;
}

/** Runs the proxy until the process is told to stop. */
export async function proxyAction(ctx: CliContext, options: ProxyCliOptions): Promise<void> {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(options.listen);
  if (!m) throw new UsageError(`--listen: expected host:port, got '${options.listen}'`);
  const bad = entryProblems(options.allow ?? []);
  if (bad.length) throw new UsageError(`--allow: ${bad.join("; ")}`);
  const fixed = parseAllowlist(options.allow ?? []);
  const fromFile = options.allowFile
    ? watchAllowFile(options.allowFile, (msg) => ctx.err(`proxy: ${msg}`))
    : () => [];
  const allowlist = (): AllowEntry[] => [...fixed, ...fromFile()];
  const proxy = startProxy({
    hostname: (m[1] as string).replace(/^\[|\]$/g, ""),
    port: Number(m[2]),
    allowlist,
    limits: {
      headTimeoutMs: positive("--head-timeout", options.headTimeout),
      idleTimeoutMs: positive("--idle-timeout", options.idleTimeout),
      maxTunnels: positive("--max-tunnels", options.maxTunnels),
    },
    log: (record) => ctx.deps.io.stdout(`${JSON.stringify(record)}\n`),
  });
  ctx.err(
    `proxy: listening on ${proxy.addr.hostname}:${proxy.addr.port} with ${allowlist().length} allowlist entries`,
  );
  await new Promise<void>((resolve) => {
    if (ctx.deps.signal.aborted) return resolve();
    ctx.deps.signal.addEventListener("abort", () => resolve(), { once: true });
    try {
      Deno.addSignalListener("SIGTERM", () => resolve());
    } catch {
      // no SIGTERM on this platform
    }
  });
  await proxy.close();
}
