/**
 * The Deno permissions of the SSH bridge's helper (`in_container.ts`) when it runs from sources
 * in a workspace: files and sockets there are the workspace user's own; nothing else is granted.
 */
export const HELPER_DENO_FLAGS: readonly string[] = [
  "--quiet",
  "--no-config",
  "--no-lock",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
];
