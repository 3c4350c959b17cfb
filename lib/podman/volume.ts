/** Volume commands: create, inspect, ls, rm, exists, import, export. */
import {
  existsCommand,
  jsonCommand,
  labelArgs,
  labelFilterArgs,
  textCommand,
  voidCommand,
} from "./command.ts";
import type { LabelFilter, PodmanCommand } from "./command.ts";
import { VolumeListSchema } from "./schemas.ts";
import type { VolumeInspect } from "./schemas.ts";

/** `podman volume create --label … NAME` */
export function volumeCreate(
  name: string,
  options: { labels?: Readonly<Record<string, string>> } = {},
): PodmanCommand<string> {
  return textCommand(["volume", "create", ...labelArgs(options.labels), name]);
}

/** `podman volume inspect --format json NAME…` */
export function volumeInspect(...names: string[]): PodmanCommand<VolumeInspect[]> {
  return jsonCommand(["volume", "inspect", "--format", "json", ...names], VolumeListSchema);
}

/** `podman volume ls --format json --filter label=…` */
export function volumeLs(filter?: LabelFilter): PodmanCommand<VolumeInspect[]> {
  return jsonCommand(
    ["volume", "ls", "--format", "json", ...labelFilterArgs(filter)],
    VolumeListSchema,
  );
}

/** `podman volume rm [--force] NAME…` — only for an explicit `delete --volumes`. */
export function volumeRm(
  names: readonly string[],
  options: { force?: boolean } = {},
): PodmanCommand<void> {
  return voidCommand(["volume", "rm", ...(options.force ? ["--force"] : []), ...names]);
}

/** `podman volume exists NAME` */
export function volumeExists(name: string): PodmanCommand<boolean> {
  return existsCommand(["volume", "exists", name]);
}

/** `podman volume import NAME TARBALL`: fills a volume from a tar archive. */
export function volumeImport(name: string, tarball: string): PodmanCommand<void> {
  return voidCommand(["volume", "import", name, tarball]);
}

/** `podman volume export NAME --output TARBALL`: writes a volume's files to a tar archive. */
export function volumeExport(name: string, tarball: string): PodmanCommand<void> {
  return voidCommand(["volume", "export", name, "--output", tarball]);
}
