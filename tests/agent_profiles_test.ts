/**
 * The CLI agent profiles doing a real task, end to end, against real podman: `devaipod run
 * --agent claude` (the real Claude Code binary) and `--agent codex` (the real Codex, with its
 * code-mode host), each injected from the npm registry, integrity-checked and mounted read-only.
 * A scripted stand-in provider (tests/support/llm_standin.ts, a test double for the paid APIs,
 * behind TLS on the simulated internet) speaks Anthropic Messages to Claude Code and OpenAI
 * Responses to Codex. The agent writes a file, runs a shell command and finishes; `run` prints
 * its answer and exits 0; `diff` shows the work; every call carried the real key, which only the
 * proxy held, and the proxy logged each; `attach --print` resumes the task's conversation. A
 * scripted failure exits 1 and leaves the workspace.
 */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { cleanupByLabel, testRunId } from "./support/cleanup.ts";
import {
  assertScriptedWork,
  STANDIN_HOST,
  STANDIN_OPENAI_HOST,
  STANDIN_REPLY,
  standInCalls,
  standInProject,
  startStandIn,
} from "./support/llm_standin.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();

/** What differs between the profiles under test. */
interface Case {
  agent: string;
  title: string;
  keyVar: string;
  real: string;
  host: string;
  /** The real key as the stand-in saw it on a call. */
  keyOf: (c: { key: string | null; authorization: string | null }) => string | null;
  /** The argv `attach` runs after a task: it resumes the conversation. */
  resume: RegExp;
}

const CASES: Case[] = [
  {
    agent: "claude",
    title: "Claude Code",
    keyVar: "ANTHROPIC_API_KEY",
    real: "sk-ant-api03-REAL-KEY-for-claude-code-0123456789",
    host: STANDIN_HOST,
    keyOf: (c) => c.key,
    resume: /^\/opt\/devaipod\/agent\/claude --continue --dangerously-skip-permissions$/,
  },
  {
    agent: "codex",
    title: "Codex",
    keyVar: "OPENAI_API_KEY",
    real: "sk-proj-REAL-KEY-for-codex-0123456789",
    host: STANDIN_OPENAI_HOST,
    keyOf: (c) => c.authorization?.replace(/^Bearer /, "") ?? null,
    resume:
      /^\/opt\/devaipod\/agent\/codex resume --last .*base_url="http:\/\/proxy\.devaipod:3129\/openai\/v1"/,
  },
];

for (const c of CASES) {
  podmanTest(
    `run --agent ${c.agent}: the real ${c.title} writes a file and runs a command for a scripted provider through the proxy's key endpoint, then finishes; run prints its answer and exits 0, diff shows the work, attach resumes it; a scripted failure exits 1`,
    async () => {
      const run = testRunId();
      const done = `${c.agent.slice(0, 2)}a${run.slice(-7)}`;
      const failed = `${c.agent.slice(0, 2)}f${run.slice(-7)}`;
      const gator = `${c.agent.slice(0, 2)}g${run.slice(-7)}`;
      const inet = await startStandIn(run, { forges: true });
      const dir = await standInProject(DEV_IMAGE, { git: true, prefix: `devaipod-${c.agent}-` });
      const devaipod = (...args: string[]) =>
        runDevaipod(["--config", inet.config, ...args], { env: { [c.keyVar]: c.real } });
      const common = ["--agent", c.agent, "--egress-network", inet.network];
      try {
        const r = await devaipod("run", dir, "do the task", "--name", done, "--json", ...common);
        assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
        const result = JSON.parse(r.stdout);
        assertEquals([result.workspace, result.state, result.text], [done, "done", STANDIN_REPLY]);
        assertEquals((r.stdout + r.stderr).includes(c.real), false);

        // The work is in the agent's clone, made by its tools.
        await assertScriptedWork(devaipod, done);

        // The stand-in: write, bash, then text, each with the real key from the proxy.
        const calls = (await standInCalls((argv) => devaipod("exec", done, "--", ...argv)))
          .filter((x) => x.tools?.length);
        assertEquals(calls.map((x) => x.step), ["write", "bash", "text"]);
        for (const call of calls) assertEquals(c.keyOf(call), c.real);

        // The agent only ever had the placeholder: not in its environment, files or /proc.
        const verify = await devaipod("verify", done, "--json");
        const keys = JSON.parse(verify.stdout).probes.find((x: { id: string }) =>
          x.id === "provider-keys"
        );
        assertEquals(keys?.ok, true, verify.stdout);

        // The proxy logged each call to the provider, with its sizes.
        const egress = await devaipod("egress", done, "--json");
        const logged = JSON.parse(egress.stdout).filter((e: { host: string }) => e.host === c.host);
        assert(logged.length >= calls.length, egress.stdout);
        for (const e of logged) assert(e.bytesUp > 0 && e.bytesDown > 0, JSON.stringify(e));

        // attach resumes the task's conversation in the agent container.
        const attach = await devaipod("attach", done, "--print");
        assertEquals(attach.code, 0, attach.stderr);
        assertMatch(attach.stdout.trim(), c.resume);

        // A scripted failure: exit 1 with the agent's words; the workspace stays.
        const f = await devaipod("run", dir, "SCRIPTED-FAILURE now", "--name", failed, ...common);
        assertEquals(f.code, 1, f.stderr);
        assertMatch(f.stderr, /the agent failed in .*: exit [1-9]/);
        const kept = await devaipod("status", failed, "--json");
        assertEquals(JSON.parse(kept.stdout).state, "running", kept.stderr);

        // The agent is told about the gator in its own way, and reads a file through it.
        const g = await devaipod(
          "run",
          dir,
          "GATOR-READ the readme",
          "--name",
          gator,
          "--json",
          "--gator",
          "github:octo/demo=read",
          ...common,
        );
        assertEquals(g.code, 0, `${g.stdout}\n${g.stderr}`);
        assertMatch(JSON.parse(g.stdout).text, /gator said: .*# demo/);
        const forge = await devaipod(
          "exec",
          gator,
          "--",
          "curl",
          "-sS",
          "http://api.github.test:8080/_calls",
        );
        assertEquals(
          JSON.parse(forge.stdout).map((
            x: { path: string; authorized: boolean },
          ) => [x.path, x.authorized]),
          [["/repos/octo/demo/contents/README.md", true]],
        );
      } finally {
        for (const ws of [done, failed, gator]) {
          await runDevaipod(["delete", "-f", "--volumes", ws]);
        }
        await cleanupByLabel(podman, run);
        await Deno.remove(inet.dir, { recursive: true });
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

podmanTest(
  "up --agent gemini: the real Gemini CLI runs in the agent container on devaipod's pinned Node.js, in an image without node; attach starts it fresh; run reports its own error without a key",
  async () => {
    const run = testRunId();
    const ws = `ge${run.slice(-7)}`;
    const failed = `gf${run.slice(-7)}`;
    const dir = await standInProject(DEV_IMAGE, { git: true, prefix: "devaipod-gemini-" });
    try {
      const up = await runDevaipod(["up", dir, "--agent", "gemini", "--name", ws]);
      assertEquals(up.code, 0, up.stderr);
      const inAgent = (...argv: string[]) =>
        runDevaipod(["exec", ws, "-c", "agent", "--", ...argv]);
      const none = await inAgent("sh", "-c", "command -v node || echo none");
      assertEquals(none.stdout, "none\n", "the image has no node");
      const version = await inAgent(
        "/opt/devaipod/agent/node",
        "/opt/devaipod/agent/bundle/gemini.js",
        "--version",
      );
      assertEquals([version.code, version.stdout.trim()], [0, "0.61.0"], version.stderr);
      const attach = await runDevaipod(["attach", ws, "--print"]);
      assertEquals(
        attach.stdout.trim(),
        "/opt/devaipod/agent/node /opt/devaipod/agent/bundle/gemini.js --yolo",
      );

      // Without a key, Gemini CLI says so itself; run passes that on and exits 1.
      const r = await runDevaipod(
        ["run", dir, "do the task", "--agent", "gemini", "--name", failed, "--timeout", "120"],
        { env: { GEMINI_API_KEY: "" } },
      );
      assertEquals(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assertMatch(r.stderr, /the agent failed in .*: exit [1-9].*(GEMINI_API_KEY|auth)/i);
    } finally {
      for (const name of [ws, failed]) await runDevaipod(["delete", "-f", "--volumes", name]);
      await cleanupByLabel(podman, run);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "run --agent NAME from [agents.NAME]: a custom agent the image brings does the task with its key; run prints its answer, diff shows its work, up warns that its key enters the agent",
  async () => {
    const run = testRunId();
    const ws = `cu${run.slice(-7)}`;
    const dir = await standInProject(DEV_IMAGE, { git: true, prefix: "devaipod-custom-" });
    const config = `${dir}.toml`;
    await Deno.writeTextFile(
      config,
      [
        "[agents.scripted]",
        'command = ["sh", "-c", "printf \'written by the agent\\\\n\' > hello.txt && printf \'%s\\\\n\' \\"$SCRIPTED_KEY\\" > key.txt && echo \\"did: $0\\"", "{task}"]',
        'keys = ["SCRIPTED_KEY"]',
        "",
      ].join("\n"),
    );
    try {
      const r = await runDevaipod(
        ["--config", config, "run", dir, "the task", "--agent", "scripted", "--name", ws],
        { env: { SCRIPTED_KEY: "custom-key-value" } },
      );
      assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assertEquals(r.stdout.trim(), "did: the task");
      assertMatch(r.stderr, /warning: SCRIPTED_KEY enters the agent/);
      const files = await runDevaipod([
        "exec",
        ws,
        "-c",
        "agent",
        "--",
        "cat",
        "hello.txt",
        "key.txt",
      ]);
      assertEquals(files.stdout, "written by the agent\ncustom-key-value\n", files.stderr);
      const diff = await runDevaipod(["diff", ws]);
      assertMatch(diff.stdout, /hello\.txt/);
      const attach = await runDevaipod(["attach", ws, "--print"]);
      assertEquals(attach.stdout.trim(), "/bin/sh -l");
      const status = JSON.parse((await runDevaipod(["status", ws, "--json"])).stdout);
      assertEquals([status.agent.profile, status.agent.task, status.agent.health], [
        "scripted",
        "done",
        "healthy",
      ]);
      // The workspace's opencode shim says where a CLI agent's interface is.
      const shim = await runDevaipod(["exec", ws, "--", "opencode-agent"]);
      assertEquals(shim.code, 1);
      assertMatch(shim.stderr, new RegExp(`agent is scripted: .*devaipod attach ${ws}`));
    } finally {
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(config);
    }
  },
);
