/** Workspaces for integration tests: a git project, a fresh name, counting and purging by label. */
import { join } from "node:path";
import * as p from "../../lib/podman/mod.ts";
import { workspaceObjects } from "../../lib/pods/inventory.ts";
import { runDevaipod } from "./cli.ts";

const podman = p.Podman.fromEnv();

/** A git project with a devcontainer.json. */
export async function project(config: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-project-" });
  await Deno.mkdir(join(dir, ".devcontainer"));
  await Deno.writeTextFile(
    join(dir, ".devcontainer", "devcontainer.json"),
    JSON.stringify(config, null, 2),
  );
  await Deno.writeTextFile(join(dir, "README.md"), "committed\n");
  await commitAll(dir);
  await Deno.writeTextFile(join(dir, "uncommitted.txt"), "not in the clone\n");
  return dir;
}

/** Makes `dir` a git repository with one commit of everything in it. */
export async function commitAll(dir: string): Promise<void> {
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
      stdout: "null",
      stderr: "null",
    }).output();
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-q", "-m", "init");
}

/** A fresh workspace name. */
export function name(): string {
  return `t${crypto.randomUUID().slice(0, 8)}`;
}

/** Removes a workspace and its volumes whatever state it is in. */
export async function purge(workspace: string): Promise<void> {
  await runDevaipod(["delete", "-f", "--volumes", workspace]);
}

/** Counts of a workspace's labelled objects by kind. */
export type ObjectCounts = Record<
  "pods" | "containers" | "volumes" | "secrets" | "networks",
  number
>;

/** How many objects of each kind carry the workspace's label. */
export async function labelled(workspace: string): Promise<ObjectCounts> {
  const found = await workspaceObjects(podman, workspace);
  return {
    pods: found.pods.length,
    containers: found.containers.length,
    volumes: found.volumes.length,
    secrets: found.secrets.length,
    networks: found.networks.length,
  };
}

/** What {@link labelled} counts when a workspace left nothing behind. */
export const NOTHING = { pods: 0, containers: 0, volumes: 0, secrets: 0, networks: 0 };

/** `podman container inspect NAME` as the raw text a user would read (to search it for secrets). */
export async function inspectText(container: string): Promise<string> {
  const out = await new Deno.Command("podman", {
    args: ["container", "inspect", container],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}
