/**
 * `deno task compile [--target T]…`: one self-contained binary per platform in dist/, with the
 * `devaipod` task's permissions baked in (read from deno.json, so the two cannot drift).
 *
 * `deno compile` needs the Deno runtime (denort) for each target, downloaded from dl.deno.land,
 * or given as a local file by `DENORT_BIN`. When it cannot be had, this fails at once with one
 * line naming the cause and `DENORT_BIN`. A `DENORT_BIN` runtime fits one platform, so with it
 * set only the host's target is built unless `--target` names another.
 */
import { devaipodPermissionFlags } from "./permissions.ts";

/** Every platform devaipod ships for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

function hostTarget(): string {
  const { arch, os } = Deno.build;
  const vendor = os === "linux"
    ? "unknown-linux-gnu"
    : os === "darwin"
    ? "apple-darwin"
    : "pc-windows-msvc";
  return `${arch}-${vendor}`;
}

const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Reduces deno compile's multi-line failure to one line, or undefined if it is not about denort. */
export function runtimeFailure(stderr: string, target: string): string | undefined {
  const text = stderr.replace(ANSI_COLOR, "");
  const missing = /Could not find denort at '([^']*)'/.exec(text);
  if (missing) {
    return `DENORT_BIN=${
      missing[1]
    } does not exist; point DENORT_BIN at a denort binary for ${target}`;
  }
  const url = /error sending request for url \((\S+?)\)/.exec(text)?.[1] ??
    /Download (\S*denort\S*)/.exec(text)?.[1];
  if (!url && !/Setting up base binary/.test(text)) return undefined;
  const causes = [...text.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1]);
  const cause = causes.at(-1) ?? "download failed";
  return `cannot download the Deno runtime for ${target}${url ? ` (${url})` : ""}: ${cause}; ` +
    `set DENORT_BIN to a local denort binary for ${target}`;
}

async function compile(target: string, flags: string[]): Promise<void> {
  const output = `dist/devaipod-${target}${target.includes("windows") ? ".exe" : ""}`;
  // The gator's program is loaded by a computed import (lib/cli/gator.ts): included by name.
  const args = [
    "compile",
    "--quiet",
    // The gator's packages are pinned there (deno.lock holds the CLI's alone).
    "--lock=deno.dev.lock",
    ...flags,
    "--include",
    "lib/gator/main.ts",
    "--target",
    target,
    "--output",
    output,
    "main.ts",
  ];
  const started = performance.now();
  const out = await new Deno.Command("deno", {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
  }).output();
  if (out.code !== 0) {
    const stderr = new TextDecoder().decode(out.stderr);
    const line = runtimeFailure(stderr, target);
    if (line) {
      console.error(`error: ${line}`);
      Deno.exit(7);
    }
    console.error(`error: deno compile for ${target} failed:\n${stderr.trim()}`);
    Deno.exit(1);
  }
  console.error(`compiled ${output} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

if (import.meta.main) {
  const requested = Deno.args.flatMap((
    a,
    i,
    all,
  ) => (a === "--target" && all[i + 1] ? [all[i + 1] as string] : []));
  const unknown = requested.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0) {
    console.error(`error: unknown target ${unknown.join(", ")}; choose from ${TARGETS.join(", ")}`);
    Deno.exit(2);
  }
  const targets = requested.length > 0
    ? requested
    : Deno.env.get("DENORT_BIN")
    ? [hostTarget()]
    : [...TARGETS];
  await Deno.mkdir("dist", { recursive: true });
  const flags = devaipodPermissionFlags();
  for (const target of targets) await compile(target, flags);
}
