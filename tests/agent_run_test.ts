/**
 * An agent doing a real task, end to end, against real podman: `devaipod run` makes a workspace
 * whose real opencode works for a scripted stand-in Anthropic provider (tests/support/
 * llm_standin.ts, a test double for the paid API, behind TLS on the simulated internet). The
 * stand-in has it write a file with its `write` tool, run a shell command with its `bash` tool,
 * and finish. `run` waits, prints the agent's answer and exits 0; the file and the command's
 * effect are in the agent's clone and `devaipod diff` shows them; every call carried the real
 * key, which only the proxy held. A scripted failure exits 1, and time running out exits 12;
 * both leave the workspace.
 */
import * as p from "../lib/podman/mod.ts";
import { assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { cleanupByLabel, testRunId } from "./support/cleanup.ts";
import {
  assertScriptedWork,
  STANDIN_REPLY,
  standInCalls,
  standInProject,
  startStandIn,
} from "./support/llm_standin.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();
const REAL = "sk-ant-api03-REAL-KEY-for-the-run-test-0123456789";

podmanTest(
  "run: the real opencode writes a file and runs a command for a scripted provider, then finishes; run prints its answer and exits 0, diff shows the work; a scripted failure exits 1 and time running out 12, the workspaces staying",
  async () => {
    const run = testRunId();
    const names = ["a", "f", "t"].map((x) => `r${x}${run.slice(-7)}`);
    const [done, failed, slow] = names as [string, string, string];
    const inet = await startStandIn(run);
    const dir = await standInProject(DEV_IMAGE, { git: true, prefix: "devaipod-run-project-" });
    const devaipod = (...args: string[]) =>
      runDevaipod(["--config", inet.config, ...args], { env: { ANTHROPIC_API_KEY: REAL } });
    const common = ["--egress-network", inet.network];
    try {
      const r = await devaipod("run", dir, "do the task", "--name", done, "--json", ...common);
      assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const result = JSON.parse(r.stdout);
      assertEquals([result.workspace, result.state, result.text], [done, "done", STANDIN_REPLY]);
      assertMatch(result.sessionId, /^ses/);
      assertEquals((r.stdout + r.stderr).includes(REAL), false);

      // The work is in the agent's clone, made by its tools.
      await assertScriptedWork(devaipod, done);

      // The stand-in: write, bash, then text, each with the real key from the proxy.
      const calls = await standInCalls((argv) => devaipod("exec", done, "--", ...argv));
      const steps = calls.filter((c) => c.tools?.length).map((c) => c.step);
      assertEquals(steps, ["write", "bash", "text"]);
      for (const c of calls) assertEquals(c.key, REAL);

      // A scripted failure: exit 1 with the provider's words; the workspace stays.
      const f = await devaipod("run", dir, "SCRIPTED-FAILURE now", "--name", failed, ...common);
      assertEquals(f.code, 1, f.stderr);
      assertMatch(f.stderr, /the agent failed in .*: APIError: scripted failure/);
      const kept = await devaipod("status", failed, "--json");
      assertEquals(JSON.parse(kept.stdout).state, "running", kept.stderr);

      // Out of time: exit 12, the agent goes on.
      const t = await devaipod(
        "run",
        dir,
        "do the task",
        "--name",
        slow,
        "--timeout",
        "0.001",
        "--json",
        ...common,
      );
      assertEquals(t.code, 12, t.stderr);
      assertEquals(JSON.parse(t.stdout).state, "timeout");
      assertEquals(t.stderr.includes("error:"), false, "--json says it on stdout only");
    } finally {
      for (const ws of names) await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(inet.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
);
