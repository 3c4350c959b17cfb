/**
 * The Deno permissions of the SSH bridge's helper (`in_container.ts`) when it runs from sources
 * in a workspace: files and sockets there are the workspace user's own; nothing else is granted.
 */
import { CONTAINER_DENO_FLAGS } from "../plan/pod_plan.ts";

/** What the helper may do. */
export const HELPER_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
];

/** The flags of `deno run` for the helper, as in a workspace (tests run it so on the host). */
export const HELPER_DENO_FLAGS: readonly string[] = [
  ...CONTAINER_DENO_FLAGS,
  ...HELPER_PERMISSIONS,
];
