/**
 * How this devaipod process runs (a compiled binary, `deno run` of a local checkout, or of a
 * remote URL) and what its containers mount to run devaipod's own code in each case, and the
 * permissions of the `devaipod` task in deno.json — the one place they are written: `compile`
 * bakes them into binaries, `bench` and the CLI tests run devaipod with them, a devaipod run from
 * source starts itself again (`ssh-proxy`) with them, and `deno install` is given them.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };
import type { ProxyRuntime } from "./plan/pod_plan.ts";
import { RUNTIME_FILES } from "./runtime_files.ts";
import type { RuntimeFile } from "./runtime_files.ts";
import { VERSION } from "./version.ts";

/** The `--allow-*` / `--deny-*` flags of the `devaipod` task. */
export function devaipodPermissionFlags(): string[] {
  const task = denoJson.tasks.devaipod;
  const command = typeof task === "string" ? task : task.command;
  return command.split(/\s+/).filter((w) => w.startsWith("--allow-") || w.startsWith("--deny-"));
}

/** What it takes to start devaipod again as a separate process. */
export interface RuntimeInfo {
  /** `Deno.build.standalone`: true in a `deno compile` binary. */
  standalone: boolean;
  /** `Deno.execPath()`: the binary, or the deno runtime running the source. */
  execPath: string;
  /** `Deno.mainModule`: the entry point's URL (`file:` or `https:`). */
  mainModule: string;
  /**
   * The URL of the folder devaipod's own code was loaded from (where main.ts and deno.json are),
   * ending in `/`; default: the folder of {@link mainModule}. It differs when devaipod runs in
   * another program's process (scripts/demo.ts).
   */
  codeRoot?: string;
  /** The flags a `deno run` of the source needs (default: the `devaipod` task's). */
  permissionFlags?: readonly string[];
}

/** This process's {@link RuntimeInfo}. */
export function currentRuntime(): RuntimeInfo {
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    codeRoot: new URL("../", import.meta.url).href,
  };
}

/**
 * How devaipod runs: a `compiled` binary, `deno run` of a `local` checkout, or `deno run` of a
 * `url` (http: or https:), whose sidecars then need the runtime fetched into the cache.
 */
export type RuntimeKind = "compiled" | "local" | "url";

/** The folder devaipod's code was loaded from: a `file:` or an `http(s):` URL ending in `/`. */
export function codeRoot(runtime: RuntimeInfo): URL {
  return new URL(runtime.codeRoot ?? new URL("./", runtime.mainModule).href);
}

/** Which {@link RuntimeKind} `runtime` is. */
export function runtimeKind(runtime: RuntimeInfo): RuntimeKind {
  if (isCompiled(runtime)) return "compiled";
  return codeRoot(runtime).protocol === "file:" ? "local" : "url";
}

/**
 * Where a devaipod run from a URL keeps its runtime: one folder per version, named by the
 * version and a digest of the file list (which holds every file's hash).
 */
export function urlRuntimeDir(
  cacheDir: string,
  files: readonly RuntimeFile[] = RUNTIME_FILES,
): string {
  const digest = createHash("sha256")
    .update(files.map((f) => `${f.sha256}  ${f.path}\n`).join(""))
    .digest("hex");
  return join(cacheDir, "runtime", `${VERSION}-${digest.slice(0, 16)}`);
}

/**
 * What containers mount to run devaipod's code (the proxy sidecar, the agent client, the SSH
 * bridge's helper): the compiled binary itself; or this Deno with the checkout's sources; or,
 * run from a URL, this Deno with the runtime's files in the cache (lib/runtime_cache.ts fetches
 * them before anything mounts them). Pure: nothing is read or fetched here.
 */
export function containerRuntime(runtime: RuntimeInfo, cacheDir: string): ProxyRuntime {
  switch (runtimeKind(runtime)) {
    case "compiled":
      return { kind: "binary", binary: runtime.execPath };
    case "local":
      return {
        kind: "deno",
        deno: runtime.execPath,
        sources: fileURLToPath(codeRoot(runtime)).replace(/\/$/, ""),
      };
    case "url":
      return { kind: "deno", deno: runtime.execPath, sources: urlRuntimeDir(cacheDir) };
  }
}

/** Whether `runtime` is a compiled binary rather than deno running the source. */
export function isCompiled(runtime: RuntimeInfo): boolean {
  // Deno says so itself: a deno binary under another name (deno-2.9) still runs sources.
  return runtime.standalone;
}

/**
 * The argv that runs `devaipod ARGS…` the way this process runs: the binary itself, or
 * `deno run --quiet <the devaipod task's permissions> <main module> ARGS…` — a local path for a
 * `file:` entry point (deno finds deno.json beside it), else the URL with
 * `--import-map=<url of deno.json beside it>` for the bare imports.
 */
export function selfArgv(args: readonly string[], runtime: RuntimeInfo): string[] {
  if (isCompiled(runtime)) return [runtime.execPath, ...args];
  const local = runtime.mainModule.startsWith("file:");
  return [
    runtime.execPath,
    "run",
    "--quiet",
    ...(runtime.permissionFlags ?? devaipodPermissionFlags()),
    ...(local ? [] : [`--import-map=${new URL("deno.json", runtime.mainModule).href}`]),
    local ? fileURLToPath(runtime.mainModule) : runtime.mainModule,
    ...args,
  ];
}

/**
 * The `deno install -g` argv that puts `devaipod` on PATH with exactly the `devaipod` task's
 * permissions: from `base` (the URL of the folder that holds main.ts and deno.json, or a
 * placeholder such as `<url>`, joined as text), or without it from a checkout (run in its root).
 * The README shows both; a test keeps them the same.
 *
 * @example
 * ```ts
 * installArgv("https://example.com/devaipod/v0.1.0/");
 * // ["deno", "install", "-g", "--name", "devaipod", "--quiet", "--allow-run=…", …,
 * //  "--import-map=https://example.com/devaipod/v0.1.0/deno.json",
 * //  "https://example.com/devaipod/v0.1.0/main.ts"]
 * installArgv();
 * // ["deno", "install", "-g", "--name", "devaipod", "--config", "deno.json", "--quiet",
 * //  "--allow-run=…", …, "main.ts"]
 * ```
 */
export function installArgv(
  base?: string,
  permissionFlags: readonly string[] = devaipodPermissionFlags(),
): string[] {
  const start = ["deno", "install", "-g", "--name", "devaipod"];
  if (base === undefined) {
    return [...start, "--config", "deno.json", "--quiet", ...permissionFlags, "main.ts"];
  }
  const root = base.endsWith("/") ? base : `${base}/`;
  return [
    ...start,
    "--quiet",
    ...permissionFlags,
    `--import-map=${root}deno.json`,
    `${root}main.ts`,
  ];
}
