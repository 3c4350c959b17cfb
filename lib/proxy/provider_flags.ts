/**
 * The proxy's provider flags, shared by its light entry point (lib/proxy/main.ts) and `devaipod
 * proxy`: `--providers-listen HOST:PORT`, `--provider ID=KEYFILE…` (the key, read at each call
 * so it can be rotated), `--provider-upstream ID=URL…` (a gateway in the provider's place) and
 * `--provider-ca FILE` (more CA certificates to trust upstream, PEM).
 */
import { providerById, PROVIDERS } from "../agents/providers.ts";
import { startProviderEndpoints } from "./provider_endpoints.ts";
import type { EndpointProvider, ProviderEndpoints } from "./provider_endpoints.ts";
import type { ProxyLogRecord } from "./server.ts";

/** The provider flags, parsed. */
export interface ProviderFlags {
  listen?: { hostname: string; port: number };
  keys: { id: string; keyFile: string }[];
  upstreams: Record<string, string>;
  caFile?: string;
}

function known(id: string, flag: string): void {
  if (!providerById(id)) {
    throw new Error(
      `${flag}: unknown provider '${id}' (known: ${PROVIDERS.map((p) => p.id).join(", ")})`,
    );
  }
}

/** `ID=KEYFILE` of `--provider`. */
export function parseProviderKey(text: string): { id: string; keyFile: string } {
  const m = /^([a-z0-9-]+)=(\/.+)$/.exec(text);
  if (!m) throw new Error(`--provider: expected ID=/path/of/key, got '${text}'`);
  known(m[1] as string, "--provider");
  return { id: m[1] as string, keyFile: m[2] as string };
}

/** `ID=URL` of `--provider-upstream` (https, or http for a gateway on a private network). */
export function parseProviderUpstream(text: string): [string, string] {
  const m = /^([a-z0-9-]+)=(https?:\/\/[^\s?#]+?)\/?$/.exec(text);
  if (!m) throw new Error(`--provider-upstream: expected ID=https://host[/path], got '${text}'`);
  known(m[1] as string, "--provider-upstream");
  return [m[1] as string, m[2] as string];
}

/** The endpoints' providers: the table's, each with its key file and upstream. */
export function endpointProviders(flags: ProviderFlags): EndpointProvider[] {
  return flags.keys.map(({ id, keyFile }) => {
    const p = providerById(id);
    if (!p) throw new Error(`--provider: unknown provider '${id}'`);
    return {
      id,
      upstream: flags.upstreams[id] ?? p.upstream,
      header: p.header,
      key: () => {
        try {
          return Deno.readTextFileSync(keyFile).trim() || undefined;
        } catch {
          return undefined;
        }
      },
    };
  });
}

/** Starts the endpoints the flags ask for (none without `--providers-listen`). */
export function startProvidersFromFlags(
  flags: ProviderFlags,
  log: (record: ProxyLogRecord) => void,
): ProviderEndpoints | undefined {
  if (!flags.listen) return undefined;
  const client = flags.caFile
    ? Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(flags.caFile)] })
    : undefined;
  return startProviderEndpoints({
    ...flags.listen,
    providers: endpointProviders(flags),
    ...(client ? { client } : {}),
    log,
  });
}
