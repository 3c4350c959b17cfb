/** Image commands: exists, inspect, build, import, push, pull, rm. */
import {
  existsCommand,
  jsonCommand,
  labelArgs,
  sortedEntries,
  textCommand,
  voidCommand,
} from "./command.ts";
import type { BuildSpec } from "../plan/spec.ts";
import type { PodmanCommand } from "./command.ts";
import { ImageInspectSchema } from "./schemas.ts";
import type { ImageInspect } from "./schemas.ts";

/** The spec types live in lib/plan/spec.ts; re-exported for the driver's callers. */
export type { BuildSpec };

/** `podman image exists REF` */
export function imageExists(ref: string): PodmanCommand<boolean> {
  return existsCommand(["image", "exists", ref]);
}

/** `podman image inspect --format json REF…` */
export function imageInspect(...refs: string[]): PodmanCommand<ImageInspect[]> {
  return jsonCommand(["image", "inspect", "--format", "json", ...refs], ImageInspectSchema);
}

/** `podman build …` (prints the image ID on its last line with `--quiet`). */
export function imageBuild(spec: BuildSpec): PodmanCommand<string> {
  const argv = [
    "build",
    "--quiet",
    "--tag",
    spec.tag,
    "--file",
    spec.file,
    ...(spec.pull ? [`--pull=${spec.pull}`] : []),
    ...(spec.target ? ["--target", spec.target] : []),
    ...sortedEntries(spec.buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...labelArgs(spec.labels),
    ...(spec.extraArgs ?? []),
    spec.context,
  ];
  return {
    argv,
    parse: (out) => out.stdout.trim().split("\n").at(-1)?.trim() ?? "",
  };
}

/** What `podman import` makes an image of. */
export interface ImportSpec {
  /** A tarball of a root filesystem. */
  tarball: string;
  ref: string;
  /** Dockerfile instructions applied to the image, e.g. `ENV PATH=…`, `CMD ["/bin/bash"]`. */
  changes?: readonly string[];
}

/** `podman import --change … TARBALL REF` */
export function imageImport(spec: ImportSpec): PodmanCommand<string> {
  return textCommand([
    "import",
    "--quiet",
    ...(spec.changes ?? []).flatMap((c) => ["--change", c]),
    spec.tarball,
    spec.ref,
  ]);
}

/** `podman image rm [--force] REF…` */
export function imageRm(
  refs: readonly string[],
  options: { force?: boolean } = {},
): PodmanCommand<void> {
  return voidCommand(["image", "rm", ...(options.force ? ["--force"] : []), ...refs]);
}

/**
 * `podman image push --quiet --digestfile FILE SOURCE DEST`: the manifest's digest, as the
 * registry stores it, lands in FILE.
 */
export function imagePush(source: string, dest: string, digestFile: string): PodmanCommand<void> {
  return voidCommand(["image", "push", "--quiet", "--digestfile", digestFile, source, dest]);
}

/** `podman image pull --quiet REF` (prints the image ID). */
export function imagePull(ref: string): PodmanCommand<string> {
  return textCommand(["image", "pull", "--quiet", ref]);
}
