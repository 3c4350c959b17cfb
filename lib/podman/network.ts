/** Network commands: create, inspect, ls, connect, rm, exists. */
import {
  existsCommand,
  jsonCommand,
  labelArgs,
  labelFilterArgs,
  textCommand,
  voidCommand,
} from "./command.ts";
import type { NetworkSpec } from "../plan/spec.ts";
import type { LabelFilter, PodmanCommand } from "./command.ts";
import { NetworkListSchema } from "./schemas.ts";
import type { NetworkInspect } from "./schemas.ts";

/** The spec types live in lib/plan/spec.ts; re-exported for the driver's callers. */
export type { NetworkSpec };

/** `podman network create …` */
export function networkCreate(spec: NetworkSpec): PodmanCommand<string> {
  return textCommand([
    "network",
    "create",
    ...(spec.internal ? ["--internal"] : []),
    ...(spec.disableDns ? ["--disable-dns"] : []),
    ...(spec.subnet ? ["--subnet", spec.subnet] : []),
    ...labelArgs(spec.labels),
    spec.name,
  ]);
}

/** `podman network inspect --format json NAME…` */
export function networkInspect(...names: string[]): PodmanCommand<NetworkInspect[]> {
  return jsonCommand(["network", "inspect", "--format", "json", ...names], NetworkListSchema);
}

/** `podman network ls --format json --filter label=…` */
export function networkLs(filter?: LabelFilter): PodmanCommand<NetworkInspect[]> {
  return jsonCommand(
    ["network", "ls", "--format", "json", ...labelFilterArgs(filter)],
    NetworkListSchema,
  );
}

/** `podman network connect [--ip IP] [--alias A…] NETWORK CONTAINER` */
export function networkConnect(
  network: string,
  container: string,
  options: { ip?: string; aliases?: readonly string[] } = {},
): PodmanCommand<void> {
  return voidCommand([
    "network",
    "connect",
    ...(options.ip ? ["--ip", options.ip] : []),
    ...(options.aliases ?? []).flatMap((a) => ["--alias", a]),
    network,
    container,
  ]);
}

/** `podman network rm [--force] NAME…` */
export function networkRm(
  names: readonly string[],
  options: { force?: boolean } = {},
): PodmanCommand<void> {
  return voidCommand(["network", "rm", ...(options.force ? ["--force"] : []), ...names]);
}

/** `podman network exists NAME` */
export function networkExists(name: string): PodmanCommand<boolean> {
  return existsCommand(["network", "exists", name]);
}
