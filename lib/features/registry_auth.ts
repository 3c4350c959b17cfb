/**
 * Registry credentials from the files `podman login` and `docker login` write, looked up the
 * way podman looks them up, for the `credentials` option of `ociClient()`.
 */
import { z } from "zod";
import { ConfigError } from "../errors.ts";
import type { RegistryCredentials } from "./oci_client.ts";

const AuthFileSchema = z.object({
  auths: z.record(
    z.string(),
    z.object({ auth: z.string().optional(), identitytoken: z.string().optional() }),
  ).nullish(),
  credHelpers: z.record(z.string(), z.string()).nullish(),
});
type AuthFile = z.output<typeof AuthFileSchema>;

/**
 * The registry host an auths key names: `ghcr.io`, `https://ghcr.io`, `http://ghcr.io/v2/`
 * all name `ghcr.io`. A key without a scheme stays whole, so `ghcr.io/org` (podman's
 * per-namespace entry) names no registry host. docker.io's legacy `index.docker.io` is docker.io.
 */
function hostOfKey(key: string): string {
  const stripped = key.replace(/^https?:\/\//, "");
  const host = stripped === key ? key : stripped.split("/")[0] ?? "";
  return normalize(host);
}

const normalize = (registry: string) => registry === "index.docker.io" ? "docker.io" : registry;

/**
 * Reads podman's/docker's credentials for a registry the way podman looks them up.
 *
 * The files, first with an entry for the registry wins: `$REGISTRY_AUTH_FILE`,
 * `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json` (default
 * `$HOME/.config`), `$HOME/.docker/config.json`, `$DOCKER_CONFIG/config.json`. Missing files are
 * skipped; each file is read and parsed once per call of this function. An entry with neither
 * `auth` nor `identitytoken` (docker's marker for a credsStore) is skipped, as podman does.
 *
 * @example
 * ```ts
 * const credentials = registryCredentials(Deno.env);
 * await credentials("ghcr.io"); // {username: "me", password: "ghp_…"} or undefined
 * ```
 */
export function registryCredentials(
  env: { get(name: string): string | undefined },
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): (registry: string) => Promise<RegistryCredentials | undefined> {
  const home = env.get("HOME");
  const runtime = env.get("XDG_RUNTIME_DIR");
  const config = env.get("XDG_CONFIG_HOME") || (home && `${home}/.config`);
  const docker = env.get("DOCKER_CONFIG");
  const files = [
    env.get("REGISTRY_AUTH_FILE"),
    runtime && `${runtime}/containers/auth.json`,
    config && `${config}/containers/auth.json`,
    home && `${home}/.docker/config.json`,
    docker && `${docker}/config.json`,
  ].filter((f): f is string => !!f);
  const parsed = new Map<string, Promise<AuthFile | undefined>>();

  async function load(file: string): Promise<AuthFile | undefined> {
    let text: string;
    try {
      text = await readTextFile(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`not valid JSON: ${err instanceof Error ? err.message : err}`, {
        location: { file },
        hint: "`podman login` rewrites it; or fix or remove the file",
      });
    }
    const result = AuthFileSchema.safeParse(json);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw new ConfigError(
      `not a registry auth file: ${issue?.path.join(".") || "(top)"}: ${issue?.message}`,
      { location: { file } },
    );
  }

  return async (registry) => {
    const wanted = normalize(registry);
    for (const file of files) {
      if (!parsed.has(file)) parsed.set(file, load(file));
      const auth = await parsed.get(file);
      // A credential helper holds this registry's secret; devaipod does not run helpers.
      if (auth?.credHelpers?.[registry] !== undefined) return undefined;
      const auths = auth?.auths ?? {};
      const key = registry in auths
        ? registry
        : Object.keys(auths).find((k) => hostOfKey(k) === wanted);
      const entry = key === undefined ? undefined : auths[key];
      if (entry?.identitytoken) return { identityToken: entry.identitytoken };
      if (!entry?.auth) continue;
      const decoded = decode(entry.auth);
      const colon = decoded?.indexOf(":") ?? -1;
      if (decoded === undefined || colon < 0) {
        throw new ConfigError(`auths.${key}.auth: not base64 of 'user:password'`, {
          location: { file },
        });
      }
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    return undefined;
  };
}

/** UTF-8 text of base64 `text`, or undefined when it is not base64. */
function decode(text: string): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}
