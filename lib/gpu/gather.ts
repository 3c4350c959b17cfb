/**
 * What GPUs this host has: the CDI specs podman reads (`/etc/cdi`, `/var/run/cdi`; another list
 * in `DEVAIPOD_CDI_DIRS`, colon-separated), and AMD's ROCm nodes. A spec that cannot be read is
 * skipped: podman will say more if it is asked for it.
 */
import { join } from "node:path";
import { parse } from "yaml";
import type { CdiKind, GpuFacts } from "./gpu.ts";

/** The folders podman reads CDI specs from. */
export const CDI_DIRS: readonly string[] = ["/etc/cdi", "/var/run/cdi"];

/** The kind and device names of a CDI spec's text (YAML or JSON); undefined when it is not one. */
export function parseCdiSpec(text: string): { kind: string; devices: string[] } | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const spec = doc as { kind?: unknown; devices?: unknown };
  if (typeof spec.kind !== "string" || !/^[a-z0-9.-]+\/[a-z0-9._-]+$/i.test(spec.kind)) {
    return undefined;
  }
  const devices = Array.isArray(spec.devices)
    ? spec.devices.flatMap((d) =>
      typeof d === "object" && d !== null && typeof (d as { name?: unknown }).name === "string"
        ? [(d as { name: string }).name]
        : []
    )
    : [];
  return { kind: spec.kind, devices };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** This host's GPU facts. */
export async function gatherGpuFacts(env: { get(name: string): string | undefined }): Promise<
  GpuFacts
> {
  const dirs = env.get("DEVAIPOD_CDI_DIRS")?.split(":").filter(Boolean) ?? [...CDI_DIRS];
  const cdi: CdiKind[] = [];
  for (const dir of dirs) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      continue;
    }
    for (
      const e of entries.filter((e) => e.isFile && /\.(ya?ml|json)$/.test(e.name)).sort((a, b) =>
        a.name < b.name ? -1 : 1
      )
    ) {
      const file = join(dir, e.name);
      const spec = parseCdiSpec(await Deno.readTextFile(file).catch(() => ""));
      if (spec) cdi.push({ ...spec, file });
    }
  }
  return { cdi, cdiDirs: dirs, amd: await exists("/dev/kfd") && await exists("/dev/dri") };
}
