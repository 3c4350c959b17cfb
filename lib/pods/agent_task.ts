/**
 * A CLI agent's task (Claude Code, Codex, Gemini CLI, a custom agent): started in the agent
 * container by `podman exec --detach`, through the key loader and the task runner, which leaves
 * the output and the exit status in `$HOME/.devaipod`; followed by reading them back.
 */
import { TASK_STATE_DIR, taskAnswer, type TaskOutput } from "../agents/profiles.ts";
import { TASK_RUNNER, withAgentEnv } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import type { TaskOutcome } from "./agent_http.ts";

/** The exec that starts a CLI agent's task (`argv`) in `container`, in `workdir`, detached. */
export function startTaskCommand(
  container: string,
  argv: readonly string[],
  workdir: string,
): p.PodmanCommand<p.ExecResult> {
  return p.containerExec({
    container,
    workdir,
    detach: true,
    command: withAgentEnv(["/bin/sh", "-c", TASK_RUNNER, "devaipod-task", ...argv]),
  });
}

/** Reads the task's state: none started (exit 4), still at work (exit 3), or its end. */
const READ_STATE = `d="$HOME/${TASK_STATE_DIR}"; [ -f "$d/task.out" ] || exit 4; ` +
  `[ -f "$d/task.exit" ] || exit 3; ` +
  `cat "$d/task.exit"; printf '\\036'; cat "$d/task.out"; printf '\\036'; tail -c 4000 "$d/task.err"`;

/** The task's outcome so far: none given, `running` until the runner wrote the exit status, or its end. */
export async function taskOutcome(
  podman: Podman,
  container: string,
  output: TaskOutput,
): Promise<TaskOutcome | { state: "none" }> {
  const r = await podman.run(
    p.containerExec({ container, command: ["/bin/sh", "-c", READ_STATE] }),
  );
  if (r.code === 4) return { state: "none" };
  if (r.code === 3) return { state: "running" };
  if (r.code !== 0) {
    throw new Error(`cannot read the agent's task state: ${(r.stderr || r.stdout).trim()}`);
  }
  const [status = "", stdout = "", stderr = ""] = r.stdout.split("\x1e");
  const code = Number(status.trim());
  const answer = taskAnswer(output, stdout);
  if (code === 0 && !answer.failed) return { state: "done", text: answer.text };
  const lastErr = stderr.trim().split("\n").filter((l) => l.trim()).at(-1);
  const why = answer.failed ? answer.text : lastErr ?? answer.text;
  return { state: "failed", error: `exit ${code}${why ? `: ${why}` : ""}`, text: answer.text };
}

/** Polls {@link taskOutcome} every `intervalMs` until the task ended or `timeoutMs` passed. */
export async function waitForCliTask(
  podman: Podman,
  container: string,
  output: TaskOutput,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<TaskOutcome> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const found = await taskOutcome(podman, container, output);
    // Just started: the runner may not have made its files yet.
    const outcome: TaskOutcome = found.state === "none" ? { state: "running" } : found;
    if (outcome.state !== "running" || performance.now() >= deadline || podman.interrupted) {
      return outcome;
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, deadline - performance.now())));
  }
}
