/**
 * Quadlet units on this host: where they go, writing and removing a workspace's units, and
 * finding the workspaces whose units are installed (a stopped Quadlet workspace has no pod: its
 * units are what remain of it, with its volumes). A workspace's units are known by their
 * workspace label, as labels are devaipod's state everywhere else.
 */
import { join } from "node:path";
import { LABELS } from "../labels.ts";
import type { EnvReader } from "../podman/runner.ts";
import type { SystemdScope } from "../systemd/systemd.ts";
import type { QuadletUnit } from "./render.ts";

/** Where Quadlet units are installed, and which systemd manager runs them. */
export interface QuadletHost {
  scope: SystemdScope;
  unitDir: string;
}

/**
 * The unit folder for this user: root's units go to `/etc/containers/systemd` (the system's
 * manager), anyone else's to `$XDG_CONFIG_HOME/containers/systemd` (their own manager, rootless
 * podman). `DEVAIPOD_QUADLET_DIR` moves the folder (tests).
 */
export function quadletHost(env: EnvReader, uid: number | null): QuadletHost {
  const scope: SystemdScope = uid === 0 ? "system" : "user";
  const override = env.get("DEVAIPOD_QUADLET_DIR");
  if (override) return { scope, unitDir: override };
  if (scope === "system") return { scope, unitDir: "/etc/containers/systemd" };
  const config = env.get("XDG_CONFIG_HOME");
  const base = config?.startsWith("/") ? config : join(env.get("HOME") ?? "/", ".config");
  return { scope, unitDir: join(base, "containers", "systemd") };
}

/**
 * This process's uid (`--allow-sys=uid`, which the devaipod task grants); null where Deno has no
 * uid (Windows) or may not read it, which counts as not root.
 */
export function processUid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

const UNIT_FILE = /\.(pod|container|network|volume)$/;

function labelLine(workspace?: string): RegExp {
  const key = LABELS.workspace.replaceAll(".", "\\.");
  return new RegExp(`^(?:Label=|PodmanArgs=--label=)${key}=(${workspace ?? "[^\\s]+"})$`, "m");
}

async function readDirSafe(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return out;
}

/** The unit files in `dir` of `workspace` (full paths, sorted). */
export async function installedUnits(dir: string, workspace: string): Promise<string[]> {
  const label = labelLine(workspace);
  const found: string[] = [];
  for (const e of await readDirSafe(dir)) {
    if (!e.isFile || !UNIT_FILE.test(e.name)) continue;
    const text = await Deno.readTextFile(join(dir, e.name)).catch(() => "");
    if (label.test(text)) found.push(join(dir, e.name));
  }
  return found.sort();
}

/** One workspace whose units are installed: its name and its `.pod` file. */
export interface InstalledWorkspace {
  workspace: string;
  podFile: string;
}

/** The workspaces with a `.pod` unit in `dir`, by name. */
export async function installedWorkspaces(dir: string): Promise<InstalledWorkspace[]> {
  const label = labelLine();
  const found: InstalledWorkspace[] = [];
  for (const e of await readDirSafe(dir)) {
    if (!e.isFile || !e.name.endsWith(".pod")) continue;
    const text = await Deno.readTextFile(join(dir, e.name)).catch(() => "");
    const ws = label.exec(text)?.[1];
    if (ws) found.push({ workspace: ws, podFile: join(dir, e.name) });
  }
  return found.sort((a, b) => a.workspace.localeCompare(b.workspace));
}

/**
 * Writes `units` into `dir`, each through a temporary file renamed into place, so systemd never
 * reads half a unit. Returns the paths written.
 */
export async function installUnits(dir: string, units: readonly QuadletUnit[]): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const u of units) {
    const path = join(dir, u.file);
    const tmp = join(dir, `.${u.file}.devaipod-tmp`);
    await Deno.writeTextFile(tmp, u.text);
    await Deno.rename(tmp, path);
    written.push(path);
  }
  return written;
}

/** Removes unit files; one already gone is not an error. */
export async function removeUnitFiles(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    await Deno.remove(path).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
}
