/**
 * Runs the devaipod CLI as a user would: a separate `deno run` process with exactly the
 * permissions of the `devaipod` task in deno.json (read from there, so they cannot drift).
 */
import { devaipodPermissionFlags } from "../../scripts/permissions.ts";

export { devaipodPermissionFlags };

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * The deno program as the test task's `--allow-run=deno` resolved it: the first `deno` on PATH
 * (`Deno.execPath()` is the symlink-resolved file, which that permission does not name).
 */
export function denoProgram(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir && Deno.statSync(`${dir}/deno`).isFile) return `${dir}/deno`;
    } catch {
      // not in this folder
    }
  }
  return Deno.execPath();
}

/** Deno's cache folder as this test process uses it. */
export function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return `${xdg && xdg.startsWith("/") ? xdg : `${Deno.env.get("HOME")}/.cache`}/deno`;
}

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `devaipod ARGS…` with extra environment variables (and optionally a replaced PATH). */
export async function runDevaipod(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  const command = new Deno.Command(denoProgram(), {
    args: ["run", "--quiet", ...devaipodPermissionFlags(), MAIN, ...args],
    // DENO_DIR stays this process's, even when a test changes HOME (Deno's cache follows HOME).
    env: { NO_COLOR: "1", DENO_DIR: denoDir(), ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Makes a folder holding executable scripts (name → body), for a PATH with a fake podman. */
export async function binDir(scripts: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-bin-" });
  for (const [name, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${dir}/${name}`, body);
    await Deno.chmod(`${dir}/${name}`, 0o755);
  }
  return dir;
}
