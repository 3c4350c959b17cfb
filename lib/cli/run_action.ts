/**
 * `devaipod run SOURCE TASK`: `up` with TASK, then a wait until the agent finished it. The answer
 * goes to stdout; the exit code says how it went (0 done, 1 failed, 12 out of time). Whatever
 * happens after the workspace stands, the workspace and the agent's work remain, to review with
 * `devaipod diff` and take with `devaipod fetch`.
 */
import { FailedError, TimeoutError } from "../errors.ts";
import type { CliContext } from "./context.ts";
import { upAction } from "./up_action.ts";

/** Options of `run`. */
export interface RunOptions {
  name?: string;
  image?: string;
  devcontainer?: string;
  ref?: string;
  allow?: string[];
  egressNetwork?: string;
  /** `--agent`: the agent profile. */
  agent?: string;
  /** `--gator SCOPE…`, or false for `--no-gator`. */
  gator?: string[] | boolean;
  /** Seconds the agent may work. */
  timeout: number;
  readyTimeout: number;
  json?: boolean;
}

/** Runs TASK in a new workspace of SOURCE and waits for the agent. */
export async function runAction(
  ctx: CliContext,
  source: string,
  task: string,
  options: RunOptions,
): Promise<void> {
  const started = performance.now();
  await upAction(ctx, source, task, {
    ...(options.name ? { name: options.name } : {}),
    ...(options.image ? { image: options.image } : {}),
    ...(options.devcontainer ? { devcontainer: options.devcontainer } : {}),
    ...(options.ref ? { ref: options.ref } : {}),
    ...(options.allow ? { allow: options.allow } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.gator !== undefined ? { gator: options.gator } : {}),
    ...(options.egressNetwork ? { egressNetwork: options.egressNetwork } : {}),
    networkIsolation: "on",
    prompt: true,
    readyTimeout: options.readyTimeout,
    afterUp: async (up, result) => {
      const ws = result.workspace;
      ctx.info(`the agent works on the task in ${ws} (up to ${options.timeout} s)`);
      const outcome = await up.waitForTask(options.timeout * 1000);
      const seconds = (performance.now() - started) / 1000;
      const review = `review: devaipod diff ${ws}; take: devaipod fetch ${ws}`;
      if (options.json) {
        ctx.json({
          workspace: ws,
          ...(result.sessionId ? { sessionId: result.sessionId } : {}),
          state: outcome.state === "running" ? "timeout" : outcome.state,
          text: outcome.state === "running" ? "" : outcome.text,
          ...(outcome.state === "failed" ? { error: outcome.error } : {}),
          seconds,
        });
      } else if (outcome.state !== "running" && outcome.text) {
        ctx.out(outcome.text);
      }
      if (outcome.state === "failed") {
        throw new FailedError(`the agent failed in ${ws}: ${outcome.error}`, {
          hint: `the workspace remains: ${review}`,
          ...(options.json ? { silent: true } : {}),
        });
      }
      if (outcome.state === "running") {
        throw new TimeoutError(`the agent was still at work in ${ws} after ${options.timeout} s`, {
          hint: `it goes on: devaipod status ${ws}; ${review}`,
          ...(options.json ? { silent: true } : {}),
        });
      }
      ctx.info(`done in ${seconds.toFixed(1)}s; ${review}`);
    },
  });
}
