/** `podman version` and `podman info`. */
import { jsonCommand } from "./command.ts";
import type { PodmanCommand } from "./command.ts";
import { InfoSchema, VersionSchema } from "./schemas.ts";
import type { PodmanInfo, VersionInfo } from "./schemas.ts";

/** `podman version --format json` */
export function version(): PodmanCommand<VersionInfo> {
  return jsonCommand(["version", "--format", "json"], VersionSchema);
}

/** `podman info --format json` */
export function info(): PodmanCommand<PodmanInfo> {
  return jsonCommand(["info", "--format", "json"], InfoSchema);
}
