/**
 * How this devaipod process runs (a compiled binary, `deno run` of a local checkout, or of a
 * remote URL), and the permissions of the `devaipod` task in deno.json — the one place they are
 * written: `compile` bakes them into binaries, `bench` and the CLI tests run devaipod with them,
 * and a devaipod run from source starts itself again (`ssh-proxy`) with them.
 */
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };

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
  /** The flags a `deno run` of the source needs (default: the `devaipod` task's). */
  permissionFlags?: readonly string[];
}

/** This process's {@link RuntimeInfo}. */
export function currentRuntime(): RuntimeInfo {
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
  };
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
