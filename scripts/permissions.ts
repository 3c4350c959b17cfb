/**
 * The permissions of the `devaipod` task in deno.json, the one place they are written. `compile`
 * bakes them into binaries, `bench` and the CLI tests run devaipod with them.
 */
import denoJson from "../deno.json" with { type: "json" };

/** The `--allow-*` / `--deny-*` flags of the `devaipod` task. */
export function devaipodPermissionFlags(): string[] {
  const task = denoJson.tasks.devaipod;
  const command = typeof task === "string" ? task : task.command;
  return command.split(/\s+/).filter((w) => w.startsWith("--allow-") || w.startsWith("--deny-"));
}
