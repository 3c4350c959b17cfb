/**
 * What devaipod's sidecars (the proxy, the gator) share: they run devaipod's own code as nobody,
 * with no capabilities, no new privileges, a read-only root and a HOME in their private `/tmp`.
 */
import type { ContainerSpec } from "./spec.ts";

/** The hardening of every sidecar container. */
export const SIDECAR_HARDENING: Pick<
  ContainerSpec,
  "user" | "init" | "capDrop" | "securityOpt" | "readOnlyRootfs" | "env"
> = {
  user: "65534:65534",
  init: true,
  capDrop: ["ALL"],
  securityOpt: ["no-new-privileges"],
  readOnlyRootfs: true,
  env: { HOME: "/tmp", DENO_DIR: "/tmp/deno", NO_COLOR: "1" },
};

/** The uid (and gid) the sidecars run as: their secret files are theirs alone. */
export const SIDECAR_UID = 65534;
