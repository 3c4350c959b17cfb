import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { fakePodman } from "../../tests/support/fake_podman.ts";
import type { FakeObjects } from "../../tests/support/fake_podman.ts";
import { containerRow, podRow } from "../../tests/support/pod_rows.ts";
import { FailedError } from "../errors.ts";
import { withWorkspaceEnv } from "../plan/pod_plan.ts";
import { linkShimsExec } from "./shims.ts";
import type { Responder } from "../podman/recording_runner.ts";
import type { PodListEntry } from "../podman/schemas.ts";
import { Progress } from "../util/progress.ts";
import { startWorkspace } from "./start.ts";
import type { StartDeps } from "./start.ts";
import { createHooksDone, markCreateHooksDone, workspaceDirs } from "./state.ts";

/** `container inspect` of the workspace's (remote user `vscode`) and the agent's container. */
function inspectRows(args: readonly string[]): string {
  const rows = args.filter((a) => a.startsWith("c-")).map((id) => ({
    Id: id,
    Name: id,
    Image: "localhost/devaipod-test/base:latest",
    State: { Status: "running", Running: true, ExitCode: 0 },
    Config: {
      User: id === "c-agent" ? "1000:1000" : "",
      Env: [],
      Cmd: [],
      WorkingDir: "/workspaces/p",
      Labels: id === "c-workspace" ? { "io.devaipod.remote-user": "vscode" } : {},
    },
    HostConfig: { CapAdd: [], CapDrop: [], SecurityOpt: [] },
    Mounts: [],
  }));
  return JSON.stringify(rows);
}

/** A project folder whose devcontainer.json has an onCreate and a postStart hook. */
async function projectWithHooks(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-start-test-" });
  await Deno.mkdir(join(dir, ".devcontainer"));
  await Deno.writeTextFile(
    join(dir, ".devcontainer", "devcontainer.json"),
    JSON.stringify({
      image: "localhost/devaipod-test/base:latest",
      onCreateCommand: "echo created",
      postStartCommand: "echo started",
    }),
  );
  return dir;
}

/** The pod of workspace `web`, stopped, made from `project`. */
function stoppedPod(project: string): PodListEntry {
  const pod = podRow("web", "Exited");
  return { ...pod, Labels: { ...pod.Labels, "io.devaipod.project": project } };
}

/** An isolated workspace, stopped: the agent and the proxy outside the pod. */
function isolatedWeb(pod: PodListEntry): FakeObjects {
  return {
    pods: [pod],
    containers: [
      containerRow("web", "workspace", { state: "exited" }),
      containerRow("web", "agent", { pod: false, state: "exited" }),
      containerRow("web", "proxy", { pod: false, state: "exited" }),
    ],
  };
}

/** Answers `container inspect`, and `healthcheck run` with `healthy`. */
function answers(healthy: boolean): Responder {
  return (args) => {
    if (args[0] === "container" && args[1] === "inspect") return { stdout: inspectRows(args) };
    if (args[0] === "healthcheck") return { code: healthy ? 0 : 1 };
    return undefined;
  };
}

/** Start's deps over a fake podman, a scratch state folder, and progress lines collected. */
async function depsFor(
  objects: FakeObjects,
  more: Responder,
): Promise<
  { deps: StartDeps; calls: () => string[][]; lines: string[]; dotfilesAsked: () => number }
> {
  const { podman, runner } = fakePodman(objects, more);
  const stateDir = await Deno.makeTempDir({ prefix: "devaipod-start-state-" });
  const lines: string[] = [];
  let asked = 0;
  return {
    deps: {
      podman,
      progress: new Progress({ write: (l) => lines.push(l), quiet: false }, () => 0),
      log: () => {},
      stateDir,
      hostEnv: {},
      userDotfiles: () => {
        asked++;
        return Promise.resolve(undefined);
      },
    },
    calls: () => runner.calls.map((c) => c.args),
    lines,
    dotfilesAsked: () => asked,
  };
}

const PS_WEB = [
  "container",
  "ps",
  "--all",
  "--format",
  "json",
  "--filter",
  "label=io.devaipod.workspace=web",
];

/** The hooks' `podman exec` in the workspace (as its remote user, with its env loader) and agent. */
function hookExecs(command: string): string[][] {
  return [
    [
      "container",
      "exec",
      "--user",
      "vscode",
      "--workdir",
      "/workspaces/p",
      "c-workspace",
      ...withWorkspaceEnv(["/bin/sh", "-c", command]),
    ],
    [
      "container",
      "exec",
      "--user",
      "1000:1000",
      "--workdir",
      "/workspaces/p",
      "c-agent",
      "/bin/sh",
      "-c",
      command,
    ],
  ];
}

Deno.test("startWorkspace: behind the proxy starts proxy, pod, agent; waits for the agent's health check; relinks the shims; runs postStart", async () => {
  const project = await projectWithHooks();
  const pod = stoppedPod(project);
  const { deps, calls, dotfilesAsked } = await depsFor(isolatedWeb(pod), answers(true));
  try {
    const hooks = workspaceDirs(deps.stateDir, "web").hooks;
    await markCreateHooksDone(hooks, "c-workspace");
    await markCreateHooksDone(hooks, "c-agent");
    await startWorkspace(deps, pod, { readyTimeoutSeconds: 5 });
    assertEquals(calls(), [
      PS_WEB,
      ["container", "start", "c-proxy"],
      ["pod", "start", "devaipod-web"],
      ["container", "start", "c-agent"],
      PS_WEB,
      ["healthcheck", "run", "c-agent"],
      [...linkShimsExec("c-workspace").argv],
      ["container", "inspect", "--format", "json", "c-workspace", "c-agent"],
      ["container", "inspect", "--format", "json", "c-workspace"],
      ["container", "inspect", "--format", "json", "c-agent"],
      ...hookExecs("echo started"),
    ]);
    assertEquals(dotfilesAsked(), 0, "finished create hooks need no dotfiles");
  } finally {
    await Deno.remove(project, { recursive: true });
    await Deno.remove(deps.stateDir, { recursive: true });
  }
});

Deno.test("startWorkspace: when systemd started the containers (Quadlet), podman starts none; the wait, shims and hooks are the same", async () => {
  const project = await projectWithHooks();
  const pod = stoppedPod(project);
  const { deps, calls } = await depsFor(isolatedWeb(pod), answers(true));
  try {
    const hooks = workspaceDirs(deps.stateDir, "web").hooks;
    await markCreateHooksDone(hooks, "c-workspace");
    await markCreateHooksDone(hooks, "c-agent");
    await startWorkspace(deps, pod, { readyTimeoutSeconds: 5, started: true });
    assertEquals(calls(), [
      PS_WEB,
      PS_WEB,
      ["healthcheck", "run", "c-agent"],
      [...linkShimsExec("c-workspace").argv],
      ["container", "inspect", "--format", "json", "c-workspace", "c-agent"],
      ["container", "inspect", "--format", "json", "c-workspace"],
      ["container", "inspect", "--format", "json", "c-agent"],
      ...hookExecs("echo started"),
    ]);
  } finally {
    await Deno.remove(project, { recursive: true });
    await Deno.remove(deps.stateDir, { recursive: true });
  }
});

Deno.test("startWorkspace: containers whose create hooks never finished get them (and the dotfiles' turn) once", async () => {
  const project = await projectWithHooks();
  const pod = stoppedPod(project);
  const { deps, calls, dotfilesAsked } = await depsFor(isolatedWeb(pod), answers(true));
  try {
    await startWorkspace(deps, pod, { readyTimeoutSeconds: 5 });
    const execs = calls().filter((a) => a[1] === "exec");
    const [wsCreated, agentCreated] = hookExecs("echo created");
    const [wsStarted, agentStarted] = hookExecs("echo started");
    // Until waitFor (updateContentCommand) in both, then the rest in both.
    assertEquals(execs.filter((a) => a.at(-1)?.startsWith("echo ")), [
      wsCreated,
      agentCreated,
      wsStarted,
      agentStarted,
    ]);
    assertEquals(dotfilesAsked(), 1);
    const hooks = workspaceDirs(deps.stateDir, "web").hooks;
    assert(await createHooksDone(hooks, "c-workspace"), "the workspace's create hooks are marked");
    assert(await createHooksDone(hooks, "c-agent"), "the agent's create hooks are marked");
  } finally {
    await Deno.remove(project, { recursive: true });
    await Deno.remove(deps.stateDir, { recursive: true });
  }
});

Deno.test("startWorkspace: an agent that never becomes healthy fails (exit 1) before shims and hooks", async () => {
  const project = await projectWithHooks();
  const pod = stoppedPod(project);
  const { deps, calls, lines } = await depsFor(isolatedWeb(pod), answers(false));
  try {
    const err = await assertRejects(
      () => startWorkspace(deps, pod, { readyTimeoutSeconds: 0.3 }),
      FailedError,
    );
    assertEquals([err.exitCode, err.message], [1, "the agent did not become healthy"]);
    assertEquals(err.hint, "`devaipod logs web -c agent` shows why");
    assertEquals(lines.at(-1), "✗ agent healthy (0.0s)");
    assert(!calls().some((a) => a[1] === "exec"), "nothing ran in the containers");
  } finally {
    await Deno.remove(project, { recursive: true });
    await Deno.remove(deps.stateDir, { recursive: true });
  }
});

Deno.test("startWorkspace: without the proxy starts only the pod and waits for the agent's server on its published port", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(`${new URL(req.url).pathname} ${req.headers.get("authorization")}`);
    return new Response('{"healthy":true}');
  });
  const pod = podRow("web", "Exited");
  const { deps, calls } = await depsFor({
    pods: [pod],
    containers: [containerRow("web", "workspace"), containerRow("web", "agent")],
  }, (args) => {
    if (args[0] === "port") return { stdout: `127.0.0.1:${server.addr.port}\n` };
    if (args.at(-1) === "/run/secrets/devaipod-agent-password") return { stdout: "pw\n" };
    return undefined;
  });
  try {
    await startWorkspace(deps, pod, { readyTimeoutSeconds: 5 });
    assertEquals(calls(), [
      PS_WEB,
      ["pod", "start", "devaipod-web"],
      PS_WEB,
      ["port", "c-workspace", "4096/tcp"],
      ["container", "exec", "c-workspace", "cat", "/run/secrets/devaipod-agent-password"],
      [...linkShimsExec("c-workspace").argv],
    ]);
    assertEquals(seen, [`/global/health Basic ${btoa("opencode:pw")}`]);
  } finally {
    await server.shutdown();
    await Deno.remove(deps.stateDir, { recursive: true });
  }
});

Deno.test("startWorkspace: postStart comes from the config file the workspace was made from", async () => {
  const project = await projectWithHooks();
  const other = join(project, ".devcontainer", "other", "devcontainer.json");
  await Deno.mkdir(join(other, ".."));
  await Deno.writeTextFile(other, JSON.stringify({ image: "x", postStartCommand: "echo other" }));
  const made = stoppedPod(project);
  const pod = { ...made, Labels: { ...made.Labels, "io.devaipod.config-file": other } };
  const { deps, calls } = await depsFor(isolatedWeb(pod), answers(true));
  try {
    const hooks = workspaceDirs(deps.stateDir, "web").hooks;
    await markCreateHooksDone(hooks, "c-workspace");
    await markCreateHooksDone(hooks, "c-agent");
    await startWorkspace(deps, pod, { readyTimeoutSeconds: 5 });
    assertEquals(calls().slice(-2), hookExecs("echo other"));
  } finally {
    await Deno.remove(project, { recursive: true });
    await Deno.remove(deps.stateDir, { recursive: true });
  }
});
