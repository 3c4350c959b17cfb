/**
 * The LLM providers whose keys never enter the sandbox. For each, devaipod's proxy serves a
 * plain-HTTP endpoint on the workspace's internal network (`http://PROXY:3129/ID/…`), adds the
 * real key there, and forwards over verified TLS to the provider. The agent gets the endpoint as
 * its base URL and a placeholder for the key. Keys of providers not listed here keep today's way
 * (a variable in the agent), and `up` says which.
 */

/** How a provider takes its key. */
export type KeyHeader =
  | { name: "x-api-key" | "x-goog-api-key" }
  | { name: "authorization"; scheme: "Bearer" };

/** A provider the proxy serves. */
export interface Provider {
  /** The endpoint's path segment, and opencode's provider id. */
  id: string;
  /** The host variable holding its key. */
  key: string;
  /** Where requests go (no trailing slash). */
  upstream: string;
  /** The header that carries the key. */
  header: KeyHeader;
  /** The path under the endpoint that opencode's provider `baseURL` names (`/v1`). */
  apiPath: string;
  /**
   * The agent's variable for the base URL, which the provider's own SDK and CLI read, and the
   * path it names under the endpoint: the Anthropic SDK adds `/v1/…` itself, OpenAI's does not.
   */
  baseUrlVar?: { name: string; path: string };
}

/** The providers devaipod serves, by key variable. */
export const PROVIDERS: readonly Provider[] = [
  {
    id: "anthropic",
    key: "ANTHROPIC_API_KEY",
    upstream: "https://api.anthropic.com",
    header: { name: "x-api-key" },
    apiPath: "/v1",
    baseUrlVar: { name: "ANTHROPIC_BASE_URL", path: "" },
  },
  {
    id: "openai",
    key: "OPENAI_API_KEY",
    upstream: "https://api.openai.com",
    header: { name: "authorization", scheme: "Bearer" },
    apiPath: "/v1",
    baseUrlVar: { name: "OPENAI_BASE_URL", path: "/v1" },
  },
  {
    id: "openrouter",
    key: "OPENROUTER_API_KEY",
    upstream: "https://openrouter.ai/api",
    header: { name: "authorization", scheme: "Bearer" },
    apiPath: "/v1",
  },
];

/** The port of the proxy's provider endpoints (beside its CONNECT port, 3128). */
export const PROVIDER_PORT = 3129;

/** What the agent holds instead of a real key. */
export const PLACEHOLDER_KEY = "devaipod-key-held-by-the-proxy";

/** The provider whose key `variable` is, if devaipod serves it. */
export function providerOfKey(variable: string): Provider | undefined {
  return PROVIDERS.find((p) => p.key === variable);
}

/** The provider named `id`. */
export function providerById(id: string): Provider | undefined {
  return PROVIDERS.find((p) => p.id === id);
}

/**
 * The agent's view of the endpoints on `origin` (`http://proxy.devaipod:3129`): each provider's
 * key variable as the placeholder, its base URL variable, and opencode's config
 * (`OPENCODE_CONFIG_CONTENT`, unless `opencode` is false) pointing its providers at the endpoints.
 *
 * @example
 * ```ts
 * agentProviderEnv("http://proxy:3129", [providerById("anthropic")!]);
 * // { ANTHROPIC_API_KEY: "devaipod-key-held-by-the-proxy",
 * //   ANTHROPIC_BASE_URL: "http://proxy:3129/anthropic",
 * //   OPENCODE_CONFIG_CONTENT: '{"provider":{"anthropic":{"options":{…}}}}' }
 * ```
 */
export function agentProviderEnv(
  origin: string,
  providers: readonly Provider[],
  options: { opencode?: boolean } = {},
): Record<string, string> {
  if (!providers.length) return {};
  const env: Record<string, string> = {};
  const opencode: Record<string, { options: { baseURL: string; apiKey: string } }> = {};
  for (const p of providers) {
    const base = `${origin}/${p.id}${p.apiPath}`;
    env[p.key] = PLACEHOLDER_KEY;
    if (p.baseUrlVar) env[p.baseUrlVar.name] = `${origin}/${p.id}${p.baseUrlVar.path}`;
    opencode[p.id] = { options: { baseURL: base, apiKey: PLACEHOLDER_KEY } };
  }
  // opencode's config, for opencode only (the default).
  if (options.opencode !== false) {
    env.OPENCODE_CONFIG_CONTENT = JSON.stringify({ provider: opencode });
  }
  return env;
}
