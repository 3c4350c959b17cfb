/** Pod commands: create, inspect, ps, start, stop, rm, exists. */
import {
  existsCommand,
  jsonCommand,
  labelArgs,
  labelFilterArgs,
  textCommand,
  timeArgs,
  voidCommand,
} from "./command.ts";
import type { PodSpec } from "../plan/spec.ts";
import type { LabelFilter, PodmanCommand } from "./command.ts";
import { PodInspectSchema, PodListSchema } from "./schemas.ts";
import type { PodInspect, PodListEntry } from "./schemas.ts";

/** The spec types live in lib/plan/spec.ts; re-exported for the driver's callers. */
export type { PodSpec };

/** `podman pod create …` (prints the pod ID). */
export function podCreate(spec: PodSpec): PodmanCommand<string> {
  return textCommand([
    "pod",
    "create",
    "--name",
    spec.name,
    ...labelArgs(spec.labels),
    ...(spec.hostname ? ["--hostname", spec.hostname] : []),
    ...(spec.infraImage ? ["--infra-image", spec.infraImage] : []),
    ...(spec.userns ? ["--userns", spec.userns] : []),
    ...(spec.networks ?? []).flatMap((n) => ["--network", n]),
    ...(spec.addHosts ?? []).flatMap(({ host, ip }) => ["--add-host", `${host}:${ip}`]),
    ...(spec.publish ?? []).flatMap((p) => ["--publish", p]),
  ]);
}

/** `podman pod inspect --format json NAME` */
export function podInspect(name: string): PodmanCommand<PodInspect[]> {
  return jsonCommand(["pod", "inspect", "--format", "json", name], PodInspectSchema);
}

/** `podman pod ps --format json --filter label=…` */
export function podPs(filter?: LabelFilter): PodmanCommand<PodListEntry[]> {
  return jsonCommand(["pod", "ps", "--format", "json", ...labelFilterArgs(filter)], PodListSchema);
}

/** `podman pod start NAME` */
export function podStart(name: string): PodmanCommand<void> {
  return voidCommand(["pod", "start", name]);
}

/** `podman pod stop --time SECONDS NAME` */
export function podStop(
  name: string,
  options: { timeoutSeconds?: number } = {},
): PodmanCommand<void> {
  return voidCommand([
    "pod",
    "stop",
    ...timeArgs(options.timeoutSeconds),
    name,
  ]);
}

/** `podman pod rm [--force] [--time S] NAME` (named volumes are never removed with it). */
export function podRm(
  name: string,
  options: { force?: boolean; timeoutSeconds?: number } = {},
): PodmanCommand<void> {
  return voidCommand([
    "pod",
    "rm",
    ...(options.force ? ["--force"] : []),
    ...timeArgs(options.timeoutSeconds),
    name,
  ]);
}

/** `podman pod exists NAME` */
export function podExists(name: string): PodmanCommand<boolean> {
  return existsCommand(["pod", "exists", name]);
}
