/** What `devaipod proxy` does: serve until SIGTERM/SIGINT, logging every decision as JSON. */
import { UsageError } from "../errors.ts";
import { watchAllowFile } from "../proxy/allow_file.ts";
import { entryProblems, parseAllowlist } from "../proxy/allowlist.ts";
import type { AllowEntry } from "../proxy/allowlist.ts";
import { parseSubnet } from "../proxy/own_networks.ts";
import { parseRelay, startRelay } from "../proxy/relay.ts";
import { startProxy } from "../proxy/server.ts";
import {
  parseProviderKey,
  parseProviderUpstream,
  startProvidersFromFlags,
} from "../proxy/provider_flags.ts";
import type { CliContext } from "./context.ts";

/** Options of `devaipod proxy`. */
export interface ProxyCliOptions {
  listen: string;
  allowFile?: string;
  allow?: string[];
  relay?: string[];
  ownSubnet?: string[];
  headTimeout: string;
  idleTimeout: string;
  maxTunnels: string;
  providersListen?: string;
  provider?: string[];
  providerUpstream?: string[];
  providerCa?: string;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${flag}: expected a positive whole number, got '${value}'`);
  }
  return n;
}

/** Parses each value with `parse`; a failure is a usage error naming the flag. */
function each<T>(
  flag: string,
  values: readonly string[] | undefined,
  parse: (v: string) => T,
): T[] {
  return (values ?? []).map((v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
  });
}

/** Runs the proxy until the process is told to stop. */
export async function proxyAction(ctx: CliContext, options: ProxyCliOptions): Promise<void> {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(options.listen);
  if (!m) throw new UsageError(`--listen: expected host:port, got '${options.listen}'`);
  const bad = entryProblems(options.allow ?? []);
  if (bad.length) throw new UsageError(`--allow: ${bad.join("; ")}`);
  const fixed = parseAllowlist(options.allow ?? []);
  const relays = each("--relay", options.relay, parseRelay);
  const ownSubnets = options.ownSubnet ? each("--own-subnet", options.ownSubnet, parseSubnet) : [];
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
    ...(options.ownSubnet ? { ownSubnets } : {}),
    log: (record) => ctx.deps.io.stdout(`${JSON.stringify(record)}\n`),
  });
  ctx.err(
    `proxy: listening on ${proxy.addr.hostname}:${proxy.addr.port} with ${allowlist().length} allowlist entries`,
  );
  const listen = options.providersListen;
  const pm = listen ? /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen) : undefined;
  if (listen && !pm) {
    throw new UsageError(`--providers-listen: expected host:port, got '${listen}'`);
  }
  const endpoints = startProvidersFromFlags({
    ...(pm
      ? { listen: { hostname: (pm[1] as string).replace(/^\[|\]$/g, ""), port: Number(pm[2]) } }
      : {}),
    keys: each("--provider", options.provider, parseProviderKey),
    upstreams: Object.fromEntries(
      each("--provider-upstream", options.providerUpstream, parseProviderUpstream),
    ),
    ...(options.providerCa ? { caFile: options.providerCa } : {}),
  }, (record) => ctx.deps.io.stdout(`${JSON.stringify(record)}\n`));
  if (endpoints) {
    ctx.err(`proxy: provider endpoints on ${endpoints.addr.hostname}:${endpoints.addr.port}`);
  }
  const relayServers = relays.map((spec) => {
    const relay = startRelay({ ...spec, onError: (m) => ctx.err(`relay: ${m}`) });
    ctx.err(
      `proxy: relaying ${relay.addr.hostname}:${relay.addr.port} to ${spec.target.hostname}:${spec.target.port}`,
    );
    return relay;
  });
  await new Promise<void>((resolve) => {
    if (ctx.deps.signal.aborted) return resolve();
    ctx.deps.signal.addEventListener("abort", () => resolve(), { once: true });
    try {
      Deno.addSignalListener("SIGTERM", () => resolve());
    } catch {
      // no SIGTERM on this platform
    }
  });
  await Promise.all([
    proxy.close(),
    ...relayServers.map((r) => r.close()),
    ...(endpoints ? [endpoints.close()] : []),
  ]);
}
