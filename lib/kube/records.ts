/**
 * Where this host's kube workspaces live: a small record per workspace
 * (`workspaces/NAME/kube.json` under devaipod's state folder: context, namespace, server), written
 * by `up --backend kube`. The cluster's labels say what exists; the record says where to ask.
 * Light on purpose: `list` reads it on every run.
 */
import { join } from "node:path";
import { z } from "zod";
import { workspaceDirs } from "../pods/state.ts";

/** Where a kube workspace lives, as this host recorded it at `up`. */
export interface KubeRecord {
  workspace: string;
  context: string;
  namespace: string;
  server: string;
}

const recordSchema = z.object({
  workspace: z.string(),
  context: z.string(),
  namespace: z.string(),
  server: z.string(),
});

function recordFile(stateDir: string, workspace: string): string {
  return join(workspaceDirs(stateDir, workspace).root, "kube.json");
}

/** Records where `up` made a kube workspace. */
export async function writeKubeRecord(stateDir: string, record: KubeRecord): Promise<void> {
  const file = recordFile(stateDir, record.workspace);
  await Deno.mkdir(join(file, ".."), { recursive: true });
  await Deno.writeTextFile(file, `${JSON.stringify(record, null, 2)}\n`);
}

/** The record of `workspace`, or undefined when this host made no kube workspace of that name. */
export async function readKubeRecord(
  stateDir: string,
  workspace: string,
): Promise<KubeRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(recordFile(stateDir, workspace));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const r = recordSchema.safeParse(JSON.parse(text));
  return r.success ? r.data : undefined;
}

/** Every kube workspace this host recorded. */
export async function kubeRecords(stateDir: string): Promise<KubeRecord[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(join(stateDir, "workspaces"))) {
      if (e.isDirectory) names.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const records = await Promise.all(names.map((n) => readKubeRecord(stateDir, n)));
  return records.filter((r): r is KubeRecord => r !== undefined)
    .sort((a, b) => a.workspace.localeCompare(b.workspace));
}

/** Forgets a kube workspace's record. */
export async function removeKubeRecord(stateDir: string, workspace: string): Promise<void> {
  await Deno.remove(recordFile(stateDir, workspace)).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}
