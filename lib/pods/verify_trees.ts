/**
 * `verify`'s probes of the two trees: the hook probe (lib/pods/verify_hook.ts) and the write
 * probe (lib/pods/verify_write.ts), run as the agent, then as the human in the workspace, then
 * as the agent again to leave its clone as it was.
 */
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import { parseProbeOutput } from "./verify.ts";
import type { Probe } from "./verify.ts";
import { HOOK_CLEAN_SCRIPT, HOOK_PLANT_SCRIPT, HOOK_RUN_SCRIPT, judgeHook } from "./verify_hook.ts";
import {
  judgeWrite,
  WRITE_AGENT_SCRIPT,
  WRITE_CHECK_SCRIPT,
  WRITE_CLEAN_SCRIPT,
} from "./verify_write.ts";

/** Where the tree probes run. */
export interface TreeProbeTargets {
  /** The agent's container (the probes run as its user, in its working folder). */
  agent: string;
  /** The workspace's container, and the user the human's commands run as there. */
  workspace: string;
  workspaceUser?: string;
  /** The human's work volume (`<pod>-work`). */
  workVolume: string;
  /** Runs between the agent's half and the workspace's: what else reads the agent's tree. */
  readers?: () => Promise<void>;
}

/** Scripts run one after another in one shell, each in a subshell (an `exit` ends only it). */
function chain(...scripts: string[]): string {
  return scripts.map((s) => `(\n${s}\n)`).join("\n");
}

/** Runs the hook and write probes; the agent's clone is cleaned up even when a step fails. */
export async function treeProbes(podman: Podman, t: TreeProbeTargets): Promise<Probe[]> {
  const nonce = crypto.randomUUID().slice(0, 12);
  const sh = (container: string, script: string, user?: string, ...args: string[]) =>
    podman.run(p.containerExec({
      container,
      ...(user ? { user } : {}),
      command: ["sh", "-c", script, "devaipod-verify", nonce, ...args],
    }));
  try {
    const agent = await sh(
      t.agent,
      chain(HOOK_PLANT_SCRIPT, WRITE_AGENT_SCRIPT),
      undefined,
      t.workVolume,
    );
    await t.readers?.();
    const workspace = await sh(
      t.workspace,
      chain(HOOK_RUN_SCRIPT, WRITE_CHECK_SCRIPT),
      t.workspaceUser,
    );
    const values = { ...parseProbeOutput(agent.stdout), ...parseProbeOutput(workspace.stdout) };
    return [judgeHook(values), judgeWrite(values, t.workVolume)];
  } finally {
    await sh(t.agent, chain(HOOK_CLEAN_SCRIPT, WRITE_CLEAN_SCRIPT)).catch(() => {});
  }
}
