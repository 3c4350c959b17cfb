/**
 * A kube workspace's lifecycle hooks (onCreate, updateContent, postCreate, postStart), run in its
 * Pods through the API's exec, as the podman backend runs them through `podman exec`: in the
 * workspace (with its secrets loaded, as every workspace session) and in the agent. New Pods are
 * new containers, so `start` runs the create hooks again (as the Quadlet backend does).
 */
import { hooksFor, runSteps } from "../devcontainer/lifecycle.ts";
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import type { HookName } from "../devcontainer/schema.ts";
import { withWorkspaceEnv } from "../plan/pod_plan.ts";
import type { KubeClient } from "./client.ts";
import { kubeRun } from "./exec.ts";

/** A Pod that runs hooks, and its role. */
export interface HookPod {
  pod: string;
  container: string;
  role: "workspace" | "agent";
}

/** The hooks of a new Pod: the create hooks and postStart (postAttach is `ssh`'s). */
export function podHooks(steps: readonly LifecycleStep[]): LifecycleStep[] {
  const hooks: readonly HookName[] = hooksFor("create").filter((h) => h !== "postAttachCommand");
  return steps.filter((s) => hooks.includes(s.hook));
}

/** Runs `steps` in each Pod (the workspace's first); `log` gets what they print. */
export async function runKubeHooks(
  client: KubeClient,
  steps: readonly LifecycleStep[],
  pods: readonly HookPod[],
  log: (text: string) => void,
): Promise<void> {
  for (const p of pods) {
    await runSteps(
      steps,
      (argv) => kubeRun(client, p, p.role === "workspace" ? withWorkspaceEnv(argv) : [...argv]),
      log,
    );
  }
}
