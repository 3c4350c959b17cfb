import { assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import type { ScriptedResult } from "../podman/recording_runner.ts";
import { startTaskCommand, taskOutcome, waitForCliTask } from "./agent_task.ts";

/** A podman whose exec answers each read of the task's state in turn (the last one repeats). */
function answering(...answers: ScriptedResult[]): { podman: Podman; reads: () => number } {
  let n = 0;
  const runner = new RecordingRunner(() => answers[Math.min(n++, answers.length - 1)]);
  return { podman: new Podman(runner), reads: () => n };
}
const state = (exit: number, out: string, err = "") => ({
  code: 0,
  stdout: `${exit}\n\x1e${out}\x1e${err}`,
});

Deno.test("agent task: started detached in the agent's clone, through the key loader and the task runner", () => {
  const argv = startTaskCommand("ws-agent", ["/opt/devaipod/agent/claude", "-p", "fix it"], "/w/p")
    .argv;
  assertEquals(argv.slice(0, 6), [
    "container",
    "exec",
    "--detach",
    "--workdir",
    "/w/p",
    "ws-agent",
  ]);
  assertEquals(argv.slice(6, 8), ["/bin/sh", "-c"]);
  assertMatch(argv[8] ?? "", /export "\$\{f##\*\/\}=\$\(cat "\$f"\)"/);
  assertEquals(argv.slice(-7, -4), ["/bin/sh", "-c", argv.at(-5) ?? ""]);
  assertEquals(argv.at(-4), "devaipod-task");
  assertMatch(argv.at(-5) ?? "", /task\.out.*task\.err.*echo \$\? >"\$d\/task\.exit"/);
  assertEquals(argv.slice(-3), ["/opt/devaipod/agent/claude", "-p", "fix it"]);
});

Deno.test("agent task: running until the exit status is there; done on 0, failed with the last error line otherwise", async () => {
  assertEquals(await taskOutcome(answering({ code: 3 }).podman, "a", "text"), {
    state: "running",
  });
  assertEquals(await taskOutcome(answering(state(0, "All done.\n")).podman, "a", "text"), {
    state: "done",
    text: "All done.",
  });
  assertEquals(
    await taskOutcome(
      answering(state(1, "", "warning: x\nERROR: scripted failure\n\n")).podman,
      "a",
      "text",
    ),
    { state: "failed", error: "exit 1: ERROR: scripted failure", text: "" },
  );
  // Claude Code's JSON: its is_error is a failure even on exit 0, in its own words.
  const claude = '{"type":"result","is_error":true,"result":"API Error: 400 scripted failure"}';
  assertEquals(await taskOutcome(answering(state(0, claude)).podman, "a", "claude-json"), {
    state: "failed",
    error: "exit 0: API Error: 400 scripted failure",
    text: "API Error: 400 scripted failure",
  });
});

Deno.test("agent task: waiting polls until the end, or gives running back when the time is up", async () => {
  const slow = answering({ code: 3 }, { code: 3 }, state(0, "ok"));
  assertEquals(await waitForCliTask(slow.podman, "a", "text", 5000, 1), {
    state: "done",
    text: "ok",
  });
  assertEquals(slow.reads(), 3);
  const never = answering({ code: 3 });
  assertEquals(await waitForCliTask(never.podman, "a", "text", 30, 5), { state: "running" });
});
