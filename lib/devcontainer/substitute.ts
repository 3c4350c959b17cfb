/**
 * Variable substitution in devcontainer.json, with the reference implementation's semantics:
 *
 * - `${localEnv:VAR}` and `${env:VAR}`: the host variable; unset → the default after a second
 *   colon, else empty. The default ends at the next colon (`${localEnv:X:a:b}` → `a`). A missing
 *   name (`${localEnv}`) is an error.
 * - `${localWorkspaceFolder}`, `${localWorkspaceFolderBasename}`,
 *   `${containerWorkspaceFolder}`, `${containerWorkspaceFolderBasename}`.
 * - `${devcontainerId}` and `${containerEnv:VAR}` stay verbatim until a container exists; then
 *   {@link substituteDevcontainerId} and {@link substituteContainerEnv} resolve them.
 * - Unknown names stay verbatim. A variable ends at the first `}`.
 *
 * Only string values are substituted (in objects and arrays, at any depth), never keys.
 */
import { posix, win32 } from "node:path";
import type { JsonPath } from "./jsonc.ts";

/** What local substitution knows. */
export interface SubstitutionContext {
  /** Deno's OS name; on Windows variable names are case-insensitive. */
  platform: typeof Deno.build.os;
  env: Readonly<Record<string, string>>;
  localWorkspaceFolder?: string;
  /** May itself contain local variables; they are resolved first. */
  containerWorkspaceFolder?: string;
}

/** A variable that cannot be resolved (`${localEnv}` without a name), at `path`. */
export class VariableError extends Error {
  override readonly name = "VariableError";
  readonly path: JsonPath;
  readonly variable: string;
  constructor(variable: string, path: JsonPath) {
    super(`'${variable}' can not be resolved because no environment variable name is given`);
    this.variable = variable;
    this.path = path;
  }
}

const VARIABLE = /\$\{(.*?)\}/g;

/** Replaces one variable occurrence (`name`, its colon-separated `args`), or returns undefined to keep it. */
type Replacer = (name: string, args: string[], match: string, path: JsonPath) => string | undefined;

function resolveString(text: string, replace: Replacer, path: JsonPath): string {
  return text.replace(VARIABLE, (match, inner: string) => {
    const [name = "", ...args] = inner.split(":");
    return replace(name, args, match, path) ?? match;
  });
}

/** Applies `replace` to every string in `value`, returning a new value. */
export function walkStrings(value: unknown, replace: Replacer, path: JsonPath = []): unknown {
  if (typeof value === "string") return resolveString(value, replace, path);
  if (Array.isArray(value)) return value.map((v, i) => walkStrings(v, replace, [...path, i]));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Defined, not assigned: a "__proto__" key in a config stays a plain key.
      Object.defineProperty(out, k, {
        value: walkStrings(v, replace, [...path, k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function lookup(
  env: Readonly<Record<string, string>>,
  args: string[],
  windows: boolean,
  match: string,
  path: JsonPath,
): string {
  const [name, fallback] = args;
  if (name === undefined) throw new VariableError(match, path);
  const value = env[windows ? name.toLowerCase() : name];
  if (value !== undefined) return value;
  return fallback ?? "";
}

function normalizeEnv(
  env: Readonly<Record<string, string>>,
  windows: boolean,
): Record<string, string> {
  if (!windows) return { ...env };
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Resolves the local variables (host env, folders) in `value`. */
export function substituteLocal<T>(value: T, ctx: SubstitutionContext): T {
  const windows = ctx.platform === "windows";
  const env = normalizeEnv(ctx.env, windows);
  let containerFolder = ctx.containerWorkspaceFolder;
  const replace: Replacer = (name, args, match, path) => {
    switch (name) {
      case "env":
      case "localEnv":
        return lookup(env, args, windows, match, path);
      case "localWorkspaceFolder":
        return ctx.localWorkspaceFolder;
      case "localWorkspaceFolderBasename":
        return ctx.localWorkspaceFolder === undefined
          ? undefined
          : (windows ? win32 : posix).basename(ctx.localWorkspaceFolder);
      case "containerWorkspaceFolder":
        return containerFolder;
      case "containerWorkspaceFolderBasename":
        return containerFolder === undefined ? undefined : posix.basename(containerFolder);
      default:
        return undefined;
    }
  };
  if (containerFolder !== undefined) {
    containerFolder = resolveString(containerFolder, replace, ["workspaceFolder"]);
  }
  return walkStrings(value, replace) as T;
}

/** Resolves `${devcontainerId}`. */
export function substituteDevcontainerId<T>(value: T, devcontainerId: string): T {
  return walkStrings(
    value,
    (name) => (name === "devcontainerId" ? devcontainerId : undefined),
  ) as T;
}

/** Resolves `${containerEnv:VAR}` from a running container's environment. */
export function substituteContainerEnv<T>(
  value: T,
  containerEnv: Readonly<Record<string, string>>,
  platform: typeof Deno.build.os = "linux",
): T {
  const windows = platform === "windows";
  const env = normalizeEnv(containerEnv, windows);
  return walkStrings(
    value,
    (
      name,
      args,
      match,
      path,
    ) => (name === "containerEnv" ? lookup(env, args, windows, match, path) : undefined),
  ) as T;
}

/** Turns `["A=1", "B=x=y"]` (podman's Config.Env) into an object. */
export function envListToObject(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of list) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}
