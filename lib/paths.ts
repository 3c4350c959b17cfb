/**
 * Where devaipod keeps its files, following the XDG base directories on Linux (and the
 * platform's conventions elsewhere). Pure: the environment and OS are passed in.
 */
import { join } from "node:path";
import { EnvironmentError } from "./errors.ts";
import type { EnvReader } from "./podman/runner.ts";

/** The directories devaipod uses. */
export interface DevaipodDirs {
  /** Downloads that can be fetched again (agent binaries). */
  cache: string;
  /** The user's settings (`devaipod.toml` lives directly in its parent). */
  config: string;
  /** State that survives restarts (SSH host key, known_hosts). */
  state: string;
}

/** Resolves devaipod's directories from the environment. */
export function devaipodDirs(
  env: EnvReader,
  os: typeof Deno.build.os = Deno.build.os,
): DevaipodDirs {
  const home = env.get("HOME") ?? env.get("USERPROFILE");
  const need = (v: string | undefined, what: string): string => {
    if (v) return v;
    throw new EnvironmentError(`cannot locate the ${what} directory: HOME is not set`, {
      hint: "set HOME (or XDG_CACHE_HOME, XDG_CONFIG_HOME and XDG_STATE_HOME)",
    });
  };
  const xdg = (name: string, fallback: string[]) => {
    const v = env.get(name);
    // The XDG spec says relative paths are invalid and must be ignored.
    if (v && v.startsWith("/")) return v;
    return join(need(home, name), ...fallback);
  };
  if (os === "darwin") {
    const h = need(home, "home");
    return {
      cache: join(h, "Library", "Caches", "devaipod"),
      config: xdg("XDG_CONFIG_HOME", [".config"]) + "/devaipod",
      state: join(h, "Library", "Application Support", "devaipod"),
    };
  }
  if (os === "windows") {
    const local = env.get("LOCALAPPDATA") ?? join(need(home, "home"), "AppData", "Local");
    const roaming = env.get("APPDATA") ?? join(need(home, "home"), "AppData", "Roaming");
    return {
      cache: join(local, "devaipod", "cache"),
      config: join(roaming, "devaipod"),
      state: join(local, "devaipod", "state"),
    };
  }
  return {
    cache: join(xdg("XDG_CACHE_HOME", [".cache"]), "devaipod"),
    config: join(xdg("XDG_CONFIG_HOME", [".config"]), "devaipod"),
    state: join(xdg("XDG_STATE_HOME", [".local", "state"]), "devaipod"),
  };
}

/** The user config file: `--config` if given, else `$XDG_CONFIG_HOME/devaipod.toml`. */
export function userConfigPath(
  env: EnvReader,
  flag?: string,
  os: typeof Deno.build.os = Deno.build.os,
): string {
  if (flag) return flag;
  const configDir = devaipodDirs(env, os).config;
  return join(configDir, "..", "devaipod.toml");
}
