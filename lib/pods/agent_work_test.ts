import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { ConflictError, DevaipodError, ExitCode } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import type { ScriptedResult } from "../podman/recording_runner.ts";
import { READER_ERRORS } from "./agent_reader.ts";
import { agentFetch, agentWorkSummary, readerError } from "./agent_work.ts";
import type { AgentWork } from "./agent_work.ts";

const BASE = "1".repeat(40);
const TIP = "2".repeat(40);

const pod = {
  Id: "pod1",
  Name: "devaipod-demo",
  Status: "Running",
  Labels: { "io.devaipod.workspace": "demo", "io.devaipod.role": "pod" },
  Containers: [],
};
const container = (state: string) => ({
  Id: "ws1",
  Names: ["devaipod-demo-workspace"],
  Image: "img",
  State: state,
  Labels: { "io.devaipod.workspace": "demo", "io.devaipod.role": "workspace" },
});
const inspect = (mounts: { Name: string; Destination: string }[]) => [{
  Id: "ws1",
  Name: "devaipod-demo-workspace",
  Image: "img",
  State: { Status: "running", Running: true, ExitCode: 0 },
  Config: {
    User: "root",
    Env: [],
    Cmd: [],
    WorkingDir: "/workspaces/demo/sub",
    Labels: { "io.devaipod.remote-user": "dev" },
  },
  HostConfig: { CapAdd: [], CapDrop: [], SecurityOpt: [] },
  Mounts: mounts.map((m) => ({ Type: "volume", ...m })),
}];
const NEW_LAYOUT = [
  { Name: "devaipod-demo-work", Destination: "/workspaces/demo" },
  { Name: "devaipod-demo-agent-work", Destination: "/devaipod/agent" },
];

/** A podman that knows one workspace; `exec` answers the reader. */
function fake(
  options: { state?: string; mounts?: typeof NEW_LAYOUT; exec?: ScriptedResult } = {},
): { podman: Podman; runner: RecordingRunner } {
  const runner = new RecordingRunner((args) => {
    const [object, verb] = args;
    if (object === "pod" && verb === "ps") return { stdout: JSON.stringify([pod]) };
    if (object === "container" && verb === "ps") {
      return { stdout: JSON.stringify([container(options.state ?? "running")]) };
    }
    if (object === "container" && verb === "inspect") {
      return { stdout: JSON.stringify(inspect(options.mounts ?? NEW_LAYOUT)) };
    }
    if (object === "volume" && verb === "inspect") {
      return {
        stdout: JSON.stringify([{
          Name: "devaipod-demo-agent-work",
          Labels: { "io.devaipod.agent-base": BASE },
        }]),
      };
    }
    if (object === "container" && verb === "exec") return options.exec;
    return undefined;
  });
  return { podman: new Podman(runner), runner };
}

const fetched = (fetchedId = TIP) => ({
  stdout: `reader=1\ntip=${TIP}\nhead=${TIP}\nhead_ref=refs/heads/devaipod/demo\n` +
    `format=sha1\nbase_present=1\nahead=2\nprevious=\nfetched=${fetchedId}\n`,
});

Deno.test("agentFetch() runs the reader in the workspace as its user, with branch, base and the human's repository", async () => {
  const { podman, runner } = fake({ exec: fetched() });
  const f = await agentFetch(podman, "dem");
  assertEquals([f.ref, f.commit, f.previous, f.ahead], [
    "refs/remotes/agent/devaipod/demo",
    TIP,
    null,
    2,
  ]);
  const exec = runner.calls.find((c) => c.args[1] === "exec")?.args ?? [];
  assertEquals(exec.slice(0, 5), ["container", "exec", "--user", "dev", "ws1"]);
  assertEquals(exec.slice(5, 7), ["/bin/sh", "-c"]);
  // The script, then its arguments: mode, tree, branch, base, nonce, the work volume's target.
  const args = exec.slice(8);
  assertEquals([args[0], args[1], args[2], args[3], args[4]], [
    "devaipod-reader",
    "fetch",
    "/devaipod/agent",
    "devaipod/demo",
    BASE,
  ]);
  assertMatch(args[5] ?? "", /^[0-9a-f]{32}$/);
  assertEquals(args[6], "/workspaces/demo");
});

Deno.test("agentFetch() fails when the ref does not end up at the agent's commit", async () => {
  const { podman } = fake({ exec: fetched(BASE) });
  const err = await assertRejects(() => agentFetch(podman, "demo"));
  assert(err instanceof DevaipodError);
  assertMatch(err.message, /names 1{40}, not the agent's 2{40}/);
});

Deno.test("agentFetch() refuses a stopped workspace and one without the agent's clone, with hints", async () => {
  const stopped = await assertRejects(() => agentFetch(fake({ state: "exited" }).podman, "demo"));
  assert(stopped instanceof ConflictError);
  assertMatch(stopped.message, /'demo' is not running: fetch reads the agent's clone/);
  assertEquals(stopped.hint, "`devaipod start demo` starts it");
  const old = await assertRejects(() =>
    agentFetch(fake({ mounts: NEW_LAYOUT.slice(0, 1) }).podman, "demo")
  );
  assert(old instanceof ConflictError);
  assertMatch(old.hint ?? "", /^`devaipod rebuild demo` moves it to the new layout/);
});

Deno.test("readerError() gives each reported failure its exit code", () => {
  const work: AgentWork = {
    workspace: "demo",
    container: "ws1",
    branch: "devaipod/demo",
    repository: "/workspaces/demo",
    volume: "devaipod-demo-agent-work",
  };
  const codes = Object.fromEntries(
    READER_ERRORS.map((
      error,
    ) => [error, readerError({ error, detail: "x" }, work, "diff").exitCode]),
  );
  assertEquals(codes, {
    "no-git": ExitCode.environment,
    "bad-branch": ExitCode.failure,
    "bad-base": ExitCode.failure,
    "no-tree": ExitCode.conflict,
    "not-git": ExitCode.conflict,
    unsafe: ExitCode.failure,
    tmp: ExitCode.failure,
    copy: ExitCode.failure,
    "no-branch": ExitCode.notFound,
    "git-failed": ExitCode.failure,
    "target-not-git": ExitCode.conflict,
    "fetch-failed": ExitCode.failure,
    // The gator's push: its errors become tool errors, never a devaipod exit.
    "push-failed": ExitCode.failure,
    "branch-exists": ExitCode.failure,
  });
  // What git said reaches the user with its control characters escaped.
  const failed = readerError({ error: "fetch-failed", detail: "bad\x1b[31m" }, work, "fetch");
  assertEquals(failed.hint, "bad\\x1b[31m");
});

Deno.test("agentWorkSummary() turns every state into values, never an error", async () => {
  const summary = (options: Parameters<typeof fake>[0], state = "running") =>
    agentWorkSummary(fake(options).podman, "demo", "devaipod-demo", container(state));
  const ok = await summary({
    exec: {
      stdout: `reader=1\ntip=${TIP}\nhead=${TIP}\nhead_ref=refs/heads/other\nformat=sha1\n` +
        "base_present=1\nahead=3\nuntracked=0\nspecial=0\nuncommitted=0\n",
    },
  });
  assertEquals(ok, {
    clone: "ok",
    branch: "devaipod/demo",
    base: BASE,
    commit: TIP,
    ahead: 3,
    uncommitted: false,
    checkedOut: "other",
    note: null,
  });
  const states = [
    (await summary({}, "exited")).clone,
    (await summary({ mounts: NEW_LAYOUT.slice(0, 1) })).clone,
    (await summary({ exec: { stdout: "reader=1\nerror=not-git\n" } })).clone,
    (await summary({ exec: { stdout: "reader=1\nerror=no-branch\n" } })).clone,
    (await summary({ exec: { stdout: "garbage" } })).clone,
    (await summary({ exec: { code: 127, stderr: "sh: not found" } })).clone,
  ];
  assertEquals(states, ["stopped", "old-layout", "not-git", "no-branch", "error", "error"]);
});
