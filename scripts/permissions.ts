/**
 * The permissions of the `devaipod` task in deno.json (defined in lib/runtime.ts, which devaipod
 * itself uses to start `ssh-proxy` from source). `compile` bakes them into binaries, `bench` and
 * the CLI tests run devaipod with them.
 */
export { devaipodPermissionFlags } from "../lib/runtime.ts";
