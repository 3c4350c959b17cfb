/**
 * The gator against real podman and the real opencode: the forges are the recording stand-in
 * (tests/support/forge_standin.ts) on the simulated internet, next to the LLM stand-in. opencode
 * finds the gator in its config, lists its tools to the model and calls one; the call reaches
 * the forge with the token, which only the gator holds. A call the scopes do not grant never
 * reaches the forge; `devaipod gator add` grants it without a restart; `verify` finds no token
 * in the agent.
 */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { cleanupByLabel, testRunId } from "./support/cleanup.ts";
import { PLANT_TRAPS_SCRIPT } from "./support/booby_trap.ts";
import { GITHUB_TOKEN, type StandInCall } from "./support/forge_standin.ts";
import { askOpencode, standInCalls, standInProject, startStandIn } from "./support/llm_standin.ts";
import { podmanTest } from "./support/podman_env.ts";
import { forgeServer } from "./support/pr_forge.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();

/** A JSON answer of the simulated internet, read from the workspace (it has the normal network). */
async function fromInternet(ws: string, url: string): Promise<unknown> {
  const r = await runDevaipod(["exec", ws, "--", "curl", "-sS", "-m", "10", url]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The forge stand-in's recorded calls. */
async function forgeCalls(ws: string): Promise<StandInCall[]> {
  return await fromInternet(ws, "http://api.github.test:8080/_calls") as StandInCall[];
}

/** The branches of `octo/demo` on the git server, with their commits. */
function gitRefs(ws: string): Promise<unknown> {
  return fromInternet(ws, "http://github.test:8080/_refs/octo/demo");
}

/** A tools/call to the gator from inside the agent, with the agent's secret (or `auth`). */
function callFromAgent(ws: string, tool: string, args: unknown, auth?: string) {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: tool, arguments: args },
  });
  const header = auth ?? "Bearer $(cat /run/secrets/devaipod-env/DEVAIPOD_GATOR_SECRET)";
  return runDevaipod([
    "exec",
    ws,
    "-c",
    "agent",
    "--",
    "sh",
    "-c",
    `curl -sS -m 20 -w '\\n%{http_code}' -X POST http://gator.devaipod:3130/mcp ` +
    `-H "authorization: ${header}" -H 'content-type: application/json' ` +
    `-H 'accept: application/json, text/event-stream' -d '${body}'`,
  ]);
}

/**
 * Pull request 2 of `octo/demo` on a GitHub served from 127.0.0.1: the project's repository
 * (bare, over dumb HTTP) with a head commit under refs/pull/2/head, and its pulls API answer.
 */
async function pullRequestOf(
  project: string,
): Promise<{ url: string; host: string; close: () => Promise<void> }> {
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
      stdout: "piped",
      stderr: "null",
    }).output().then((o) => new TextDecoder().decode(o.stdout).trim());
  const base = await git("-C", project, "branch", "--show-current");
  const bare = `${project}.git`;
  await git("clone", "-q", "--bare", project, bare);
  await git("-C", project, "checkout", "-q", "-b", "contrib");
  await Deno.writeTextFile(`${project}/pr.txt`, "from the pull request\n");
  await git("-C", project, "add", "-A");
  await git("-C", project, "commit", "-qm", "pr");
  const head = await git("-C", project, "rev-parse", "HEAD");
  await git("-C", project, "push", "-q", bare, `HEAD:refs/pull/2/head`);
  await git("-C", bare, "update-server-info");
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("./fixtures/forge/github_pull.json", import.meta.url)),
  );
  let host = "";
  const f = forgeServer(bare, {
    path: "/api/v3/repos/octo/demo/pulls/2",
    body: () =>
      JSON.stringify({
        ...fixture,
        head: { ...fixture.head, sha: head },
        base: {
          ...fixture.base,
          ref: base,
          repo: { ...fixture.base.repo, clone_url: `http://${host}/octo/demo.git` },
        },
      }),
  });
  host = f.host;
  return {
    url: `http://${host}/octo/demo/pull/2`,
    host,
    close: async () => {
      await f.server.shutdown();
      await Deno.remove(bare, { recursive: true });
    },
  };
}

podmanTest(
  "gator: a workspace from a GitHub pull request URL gives opencode a gator with read, draft and pending review there; the forge gets the token, denied calls never reach it, scopes change live, and the agent holds no token",
  async () => {
    const run = testRunId();
    const ws = `g${run.slice(-8)}`;
    const inet = await startStandIn(run, { forges: true });
    const dir = await standInProject(DEV_IMAGE, { git: true, prefix: "devaipod-gator-project-" });
    const pr = await pullRequestOf(dir);
    // `up` reads the pull request from this host's forge (a GitHub on 127.0.0.1); the gator
    // reaches the stand-in GitHub on the simulated internet ([gator.endpoints]).
    await Deno.writeTextFile(inet.config, `[forges]\n"${pr.host}" = "github"\n`, { append: true });
    const env = { ANTHROPIC_API_KEY: "sk-ant-standin-key-0123456789" };
    try {
      const dry = await runDevaipod(
        [
          "--config",
          inet.config,
          "up",
          pr.url,
          "--name",
          ws,
          "--egress-network",
          inet.network,
          "--dry-run",
        ],
        { env },
      );
      assertEquals(dry.code, 0, dry.stderr);
      assertMatch(
        dry.stdout,
        /the gator's scopes \(github:octo\/demo=read,create-draft github:octo\/demo#2=pending-review\)/,
      );
      const up = await runDevaipod([
        "--config",
        inet.config,
        "up",
        pr.url,
        "--name",
        ws,
        "--network-isolation",
        "on",
        "--egress-network",
        inet.network,
      ], { env });
      assertEquals(up.code, 0, up.stderr);
      assertEquals((up.stdout + up.stderr).includes(GITHUB_TOKEN), false);
      const scopes = await runDevaipod(["gator", ws, "--json"]);
      assertEquals(JSON.parse(scopes.stdout).scopes, [
        "github:octo/demo=read,create-draft",
        "github:octo/demo#2=pending-review",
      ], "the pull request's repository: read and draft; that pull request: pending review");

      // The sidecar: non-root, no capabilities, read-only, on the internal and egress networks.
      const [gator] = await podman.run(p.containerInspect(`devaipod-${ws}-gator`));
      assert(gator, "the gator container exists");
      assertEquals(gator.State.Status, "running");
      assertEquals(gator.Config.User, "65534:65534");
      assertEquals(gator.HostConfig.SecurityOpt, ["no-new-privileges"]);
      const readOnly = await podman.run({
        argv: ["container", "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", gator.Id],
        parse: (out) => out.stdout.trim(),
      });
      assertEquals(readOnly, "true");
      const caps = await podman.run(p.containerExec({
        container: gator.Id,
        command: ["sh", "-c", "grep -E '^Cap(Eff|Prm|Bnd):' /proc/1/status"],
      }));
      for (const line of caps.stdout.trim().split("\n")) assertMatch(line, /:\s+0{16}$/);

      // opencode, asked through its server: the model is offered the gator's tools, calls
      // gator_read_file, and answers with what the gator read from the forge.
      const asked = await askOpencode(ws, "GATOR-READ the readme");
      assertMatch(asked, /gator said: .*# demo/);
      const llm = await standInCalls((argv) => runDevaipod(["exec", ws, "--", ...argv]));
      const offered = llm.find((c) => c.tools?.includes("gator_read_file"));
      assert(offered, `opencode offered no gator tool: ${JSON.stringify(llm.map((c) => c.tools))}`);
      for (const t of ["gator_create_draft_pull_request", "gator_create_pending_review"]) {
        assert(offered.tools?.includes(t), `${t} offered`);
      }
      assert(llm.some((c) => c.step === "gator"), "the model called the gator's tool");

      const read = (await forgeCalls(ws)).filter((c) => c.service === "github");
      assertEquals(
        read.map((c) => [c.method, c.path, c.authorized]),
        [["GET", "/repos/octo/demo/contents/README.md", true]],
      );

      // A call the scopes do not grant: refused by the gator, never sent to the forge.
      const denied = await callFromAgent(ws, "read_file", {
        repo: "octo/secret",
        path: "SECRET.md",
      });
      assertEquals(denied.code, 0, denied.stderr);
      assertMatch(denied.stdout, /denied: read_file needs the scope github:octo\/secret=read/);
      const unauthenticated = await callFromAgent(ws, "read_file", {
        repo: "octo/demo",
        path: "README.md",
      }, "Bearer guessed");
      assertMatch(unauthenticated.stdout, /\n401$/);
      assertEquals((await forgeCalls(ws)).filter((c) => c.service === "github").length, 1);

      // Granted while it runs, and taken back.
      const add = await runDevaipod(["gator", ws, "add", "github:octo/secret=read"]);
      assertEquals(add.code, 0, add.stderr);
      const allowed = await callFromAgent(ws, "read_file", {
        repo: "octo/secret",
        path: "SECRET.md",
      });
      assert(!allowed.stdout.includes('"isError":true'), allowed.stdout);
      const remove = await runDevaipod([
        "gator",
        ws,
        "remove",
        "github:octo/secret=read",
        "--json",
      ]);
      assertEquals(remove.code, 0, remove.stderr);
      assertEquals(JSON.parse(remove.stdout).scopes, [
        "github:octo/demo=read,create-draft",
        "github:octo/demo#2=pending-review",
      ]);
      assertMatch(
        (await callFromAgent(ws, "read_file", { repo: "octo/secret", path: "SECRET.md" })).stdout,
        /denied/,
      );
      const calls = (await forgeCalls(ws)).filter((c) => c.service === "github");
      assertEquals(calls.map((c) => c.path), [
        "/repos/octo/demo/contents/README.md",
        "/repos/octo/secret/contents/SECRET.md",
      ]);
      assert(calls.every((c) => c.authorized));

      // Every decision is a JSON line in the gator's log.
      const logs = await runDevaipod(["logs", ws, "-c", "gator"]);
      const decisions = (logs.stdout + logs.stderr).split("\n").filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { decision: string; scope: string; tool: string });
      assertEquals(decisions.filter((d) => d.decision === "deny").map((d) => d.scope), [
        "github:octo/secret=read",
        "github:octo/secret=read",
      ]);
      assertEquals(decisions.filter((d) => d.decision === "allow").length, 2);
      assertEquals((logs.stdout + logs.stderr).includes(GITHUB_TOKEN), false);

      // status and verify: the scopes, and no token anywhere in the agent.
      const status = await runDevaipod(["status", ws, "--json"]);
      assertEquals(JSON.parse(status.stdout).gator.scopes.length, 2, status.stdout);
      const verify = await runDevaipod(["verify", ws, "--json"], { env });
      const report = JSON.parse(verify.stdout);
      const tokens = report.probes.find((x: { id: string }) => x.id === "gator-tokens");
      assert(tokens, verify.stdout);
      assertEquals(tokens.ok, true, tokens.detail);
      assertMatch(tokens.detail, /GH_TOKEN/);
      // The push: the agent's commit goes to a new agent/… branch of the real git server, read
      // from the agent's clone by the safe reader; none of the traps planted there fires.
      const inAgent = (script: string) =>
        runDevaipod(["exec", ws, "-c", "agent", "--", "sh", "-c", script]);
      const commit = await inAgent(
        "printf 'pushed\\n' > pushed.txt && git add pushed.txt && " +
          "git -c user.name=agent -c user.email=a@a commit -qm 'agent: work' && git rev-parse HEAD",
      );
      assertEquals(commit.code, 0, commit.stderr);
      const agentTip = commit.stdout.trim();
      const plant = await runDevaipod([
        "exec",
        ws,
        "-c",
        "agent",
        "--",
        "sh",
        "-c",
        PLANT_TRAPS_SCRIPT,
        "plant",
        ".",
        "/tmp/devaipod-traps",
        "/tmp/devaipod-detectors",
      ]);
      assertEquals(plant.code, 0, plant.stderr);
      const pushArgs = { repo: "octo/demo", branch: "agent/fix" };
      assertMatch(
        (await callFromAgent(ws, "push_branch", pushArgs)).stdout,
        /denied.*push-new-branch/,
      );
      assertEquals(
        (await runDevaipod(["gator", ws, "add", "github:octo/demo=push-new-branch"])).code,
        0,
      );
      const pushed = await callFromAgent(ws, "push_branch", pushArgs);
      assert(!pushed.stdout.includes('"isError":true'), pushed.stdout);
      assert(pushed.stdout.includes(agentTip), pushed.stdout);
      assertEquals(await gitRefs(ws), { "refs/heads/agent/fix": agentTip });
      const again = await callFromAgent(ws, "push_branch", pushArgs);
      assertMatch(again.stdout, /branch-exists/);
      const toMain = await callFromAgent(ws, "push_branch", { repo: "octo/demo", branch: "main" });
      assertMatch(toMain.stdout, /"isError":true/);
      const fired = await podman.run(p.containerExec({
        container: `devaipod-${ws}-gator`,
        command: ["sh", "-c", "ls -A /tmp/devaipod-traps 2>/dev/null; true"],
      }));
      assertEquals(fired.stdout, "", "a trap of the agent's clone ran in the gator");
      const status2 = await runDevaipod(["status", ws, "--json"]);
      assertEquals(
        JSON.parse(status2.stdout).gator.scopes[0],
        "github:octo/demo=read,create-draft,push-new-branch",
      );
      assertEquals(
        await gitRefs(ws),
        { "refs/heads/agent/fix": agentTip },
        "nothing else was pushed",
      );
      const after = await runDevaipod(["status", ws, "--json"]);
      assertEquals(
        JSON.parse(after.stdout).gator.scopes[0],
        "github:octo/demo=read,create-draft,push-new-branch",
      );
    } finally {
      await pr.close();
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(inet.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
);
