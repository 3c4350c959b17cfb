/**
 * The proxy's own light entry point for sidecars: the same server and flags as
 * `devaipod proxy`, without loading the CLI (commander, zod), so an idle proxy stays small.
 *
 *   deno run --allow-net --allow-read lib/proxy/main.ts --listen 0.0.0.0:3128 --allow-file F --allow HOST…
 *     [--relay LISTEN=TARGET…] [--own-subnet CIDR…]
 *     [--providers-listen HOST:PORT --provider ID=KEYFILE… [--provider-upstream ID=URL…] [--provider-ca FILE]]
 *
 * In the sidecar it listens on its internal-network address only, relays its link-network
 * address's agent port to the agent, and never connects into either network (`--own-subnet`).
 */
import { watchAllowFile } from "./allow_file.ts";
import { parseAllowlist } from "./allowlist.ts";
import type { AllowEntry } from "./allowlist.ts";
import { parseSubnet } from "./own_networks.ts";
import { parseRelay, startRelay } from "./relay.ts";
import type { RelaySpec } from "./relay.ts";
import { startProxy } from "./server.ts";
import {
  parseProviderKey,
  parseProviderUpstream,
  startProvidersFromFlags,
} from "./provider_flags.ts";
import type { ProviderFlags } from "./provider_flags.ts";
import type { ProxyLimits } from "./server.ts";

/** Parsed flags. */
export interface ProxyArgs {
  hostname: string;
  port: number;
  allowFile?: string;
  allow: string[];
  limits: Partial<ProxyLimits>;
  /** `--relay LISTEN=TARGET…`: plain TCP relays (the workspace's way to the agent). */
  relays?: RelaySpec[];
  /** `--own-subnet CIDR…`: the workspace's networks, never connected into (nor loopback). */
  ownSubnets?: string[];
  /** The provider endpoints' flags, when any is given. */
  providers?: ProviderFlags;
}

/** Parses the proxy's flags; throws with a message naming the flag. */
export function parseProxyArgs(args: readonly string[]): ProxyArgs {
  const out: ProxyArgs = {
    hostname: "0.0.0.0",
    port: 3128,
    allow: [],
    limits: {},
  };
  const providers = (): ProviderFlags => (out.providers ??= { keys: [], upstreams: {} });
  /** The values after a flag, up to the next flag. */
  const values = (i: number): string[] => {
    const out: string[] = [];
    while (args[i + 1] !== undefined && !args[i + 1]?.startsWith("--")) {
      out.push(args[++i] as string);
    }
    return out;
  };
  const number = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) {
      throw new Error(`${flag}: expected a positive whole number, got '${v}'`);
    }
    return n;
  };
  const address = (flag: string, value: string | undefined) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value ?? "");
    if (!m) throw new Error(`${flag}: expected host:port, got '${value}'`);
    return { hostname: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    switch (flag) {
      case "--listen": {
        const a = address(flag, value);
        out.hostname = a.hostname;
        out.port = a.port;
        i++;
        break;
      }
      case "--providers-listen":
        providers().listen = address(flag, value);
        i++;
        break;
      case "--provider": {
        const texts = values(i);
        if (!texts.length) throw new Error("--provider: expected ID=KEYFILE");
        providers().keys.push(...texts.map(parseProviderKey));
        i += texts.length;
        break;
      }
      case "--provider-upstream": {
        const texts = values(i);
        if (!texts.length) throw new Error("--provider-upstream: expected ID=URL");
        for (const t of texts) {
          const [id, url] = parseProviderUpstream(t);
          providers().upstreams[id] = url;
        }
        i += texts.length;
        break;
      }
      case "--provider-ca":
        if (!value) throw new Error("--provider-ca: expected a path");
        providers().caFile = value;
        i++;
        break;
      case "--allow-file":
        if (!value) throw new Error("--allow-file: expected a path");
        out.allowFile = value;
        i++;
        break;
      case "--allow":
        while (args[i + 1] !== undefined && !args[i + 1]?.startsWith("--")) {
          out.allow.push(args[++i] as string);
        }
        break;
      case "--relay": {
        const texts = values(i);
        if (!texts.length) throw new Error("--relay: expected LISTEN=TARGET");
        out.relays = [
          ...(out.relays ?? []),
          ...texts.map((t) => {
            try {
              return parseRelay(t);
            } catch (err) {
              throw new Error(`--relay: ${(err as Error).message}`);
            }
          }),
        ];
        i += texts.length;
        break;
      }
      case "--own-subnet": {
        const texts = values(i);
        if (!texts.length) throw new Error("--own-subnet: expected a subnet such as 10.89.0.0/24");
        for (const t of texts) {
          try {
            parseSubnet(t);
          } catch (err) {
            throw new Error(`--own-subnet: ${(err as Error).message}`);
          }
        }
        out.ownSubnets = [...(out.ownSubnets ?? []), ...texts];
        i += texts.length;
        break;
      }
      case "--head-timeout":
        out.limits.headTimeoutMs = number(flag, value);
        i++;
        break;
      case "--idle-timeout":
        out.limits.idleTimeoutMs = number(flag, value);
        i++;
        break;
      case "--max-tunnels":
        out.limits.maxTunnels = number(flag, value);
        i++;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  parseAllowlist(out.allow);
  return out;
}

if (import.meta.main) {
  let parsed: ProxyArgs;
  try {
    parsed = parseProxyArgs(Deno.args);
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    Deno.exit(2);
  }
  const fixed = parseAllowlist(parsed.allow);
  const fromFile = parsed.allowFile
    ? watchAllowFile(parsed.allowFile, (m) => console.error(`proxy: ${m}`))
    : () => [];
  const allowlist = (): AllowEntry[] => [...fixed, ...fromFile()];
  const encoder = new TextEncoder();
  const proxy = startProxy({
    hostname: parsed.hostname,
    port: parsed.port,
    allowlist,
    limits: parsed.limits,
    ...(parsed.ownSubnets ? { ownSubnets: parsed.ownSubnets.map(parseSubnet) } : {}),
    log: (record) => Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(record)}\n`)),
  });
  console.error(
    `proxy: listening on ${proxy.addr.hostname}:${proxy.addr.port} with ${allowlist().length} allowlist entries`,
  );
  const endpoints = parsed.providers && startProvidersFromFlags(
    parsed.providers,
    (record) => Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(record)}\n`)),
  );
  if (endpoints) {
    console.error(
      `proxy: provider endpoints on ${endpoints.addr.hostname}:${endpoints.addr.port} for ${
        parsed.providers?.keys.map((k) => k.id).join(", ")
      }`,
    );
  }
  const relays = (parsed.relays ?? []).map((spec) => {
    const relay = startRelay({ ...spec, onError: (m) => console.error(`relay: ${m}`) });
    console.error(
      `proxy: relaying ${relay.addr.hostname}:${relay.addr.port} to ${spec.target.hostname}:${spec.target.port}`,
    );
    return relay;
  });
  const stop = async () => {
    await Promise.all([
      proxy.close(),
      ...relays.map((r) => r.close()),
      ...(endpoints ? [endpoints.close()] : []),
    ]);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
