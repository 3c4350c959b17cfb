import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { resolved } from "../../tests/support/resolved.ts";
import { OPENCODE_EGRESS } from "../agents/egress.ts";
import { agentKeys, DEFAULT_LLM_KEYS } from "../agents/llm_keys.ts";
import { ConfigError } from "../errors.ts";
import { containerRun } from "../podman/container.ts";
import {
  bind,
  type BindingValues,
  fill,
  needs,
  placeholders,
  type Planned,
  UnboundError,
} from "./bindings.ts";
import {
  addressBindings,
  AGENT_BASE,
  AGENT_BIN,
  AGENT_ENV_DIR,
  AGENT_TREE,
  AGENT_USER,
  agentBranch,
  configMount,
  CONTAINER_PROGRAMS,
  containerDenoArgv,
  ENV_LOADER,
  networkAddresses,
  PASSWORD_FILE,
  planPod,
  withAgentBase,
  withoutSecurityRunArgs,
  withWorkspaceEnv,
  WORKSPACE_ENV_DIR,
  workspaceMountTarget,
} from "./pod_plan.ts";
import type { PlanInput, ProxyRuntime } from "./pod_plan.ts";
import type { ContainerSpec, PodSpec } from "./spec.ts";

const KEY = "sk-ant-secret-value";
const hostEnv = {
  ANTHROPIC_API_KEY: KEY,
  GH_TOKEN: "ghp_trusted",
  MY_KEY: "my-key-value",
  NPM_TOKEN: "npm-value",
  OPENAI_API_KEY: "",
};

/**
 * A value for every binding, as `up` would learn them: the uid and gid differ, so that a swap
 * shows.
 */
const SAMPLE: BindingValues = {
  "user.uid": "1000",
  "user.gid": "1001",
  "user.oc": "none",
  "image.path": "/usr/bin:/bin",
  "image.arch": "amd64",
  "agent.binary": "/cache/opencode",
  "copy.commit": "0123456789abcdef0123456789abcdef01234567",
  ...addressBindings(networkAddresses("10.89.0.0/24", "10.89.1.0/24")),
};

/** A planned spec with every binding filled from {@link SAMPLE}: what `up` hands to podman. */
function concrete<T>(value: Planned<T>): T {
  return fill<T>(value, SAMPLE);
}

function input(extra: Partial<PlanInput> = {}): PlanInput {
  return {
    workspace: "proj-ab12",
    image: "localhost/img",
    projectPath: "/src/proj",
    hostEnv,
    agentBinary: "/cache/opencode",
    shimsDir: "/state/shims",
    imagePath: "/usr/bin:/bin",
    ...extra,
  };
}

Deno.test("plan: only LLM keys that are set reach the agent, plus allowlisted names", () => {
  assertEquals(agentKeys(hostEnv), { ANTHROPIC_API_KEY: KEY });
  assertEquals(agentKeys(hostEnv, ["MY_KEY", "NOT_SET"]), {
    ANTHROPIC_API_KEY: KEY,
    MY_KEY: "my-key-value",
  });
  assert(!DEFAULT_LLM_KEYS.includes("GH_TOKEN"));
});

Deno.test("plan: the pod, its labels, published ports and volumes", async () => {
  const plan = planPod(
    input({
      resolved: await resolved({ image: "x", forwardPorts: [3000, "db:5432"] }),
      task: "fix it",
    }),
  );
  assertEquals(plan.pod.name, "devaipod-proj-ab12");
  assertEquals(plan.pod.labels, {
    "io.devaipod.workspace": "proj-ab12",
    "io.devaipod.role": "pod",
    "io.devaipod.project": "/src/proj",
    "io.devaipod.image": "localhost/img",
    "io.devaipod.config-file": "/src/proj/.devcontainer/devcontainer.json",
    "io.devaipod.version": plan.pod.labels?.["io.devaipod.version"] ?? "",
    "io.devaipod.task": "fix it",
    "io.devaipod.ports": "3000",
  });
  assertEquals(plan.pod.publish, ["127.0.0.1:3000:3000", "127.0.0.1::4096"]);
  assertEquals(plan.volumes.map((v) => [v.name, v.labels["io.devaipod.role"]]), [
    ["devaipod-proj-ab12-work", "workspace-volume"],
    ["devaipod-proj-ab12-agent-home", "agent-home"],
    ["devaipod-proj-ab12-agent-work", "agent-work"],
  ]);
  assertEquals(plan.volumes[2]?.labels["io.devaipod.agent-base"], AGENT_BASE);
  assertEquals(
    placeholders<Record<string, string>>(plan.volumes[2]?.labels ?? {})["io.devaipod.agent-base"],
    "<copy.commit>",
  );
  assertEquals(plan.workspaceVolume, "devaipod-proj-ab12-work");
  assertEquals(
    [plan.agentWorkVolume, plan.agentBranch],
    ["devaipod-proj-ab12-agent-work", "devaipod/proj-ab12"],
  );
  assertEquals(plan.forwardPorts, [3000], "host:port entries are other services, not published");
  assertEquals([plan.workspaceMountTarget, plan.workdir], ["/workspaces/proj", "/workspaces/proj"]);
});

Deno.test("plan: secrets are the password and the set keys; GH_TOKEN is not among them", async () => {
  const plan = planPod(
    input({
      resolved: await resolved({
        image: "x",
        customizations: { devaipod: { envAllowlist: ["MY_KEY"] } },
      }),
    }),
  );
  assertEquals(plan.secrets.map((s) => [s.name, s.variable, s.container, s.source]), [
    [
      "devaipod-proj-ab12-opencode-server-password",
      "OPENCODE_SERVER_PASSWORD",
      "agent",
      { generated: "password" },
    ],
    ["devaipod-proj-ab12-anthropic-api-key", "ANTHROPIC_API_KEY", "agent", {
      env: "ANTHROPIC_API_KEY",
    }],
    ["devaipod-proj-ab12-my-key", "MY_KEY", "agent", { env: "MY_KEY" }],
  ]);
  // The plan names where each value comes from; no value of the host's is anywhere in it.
  const json = JSON.stringify(plan);
  for (const [variable, value] of Object.entries(hostEnv)) {
    if (value) assertEquals(json.includes(value), false, variable);
  }
});

Deno.test("plan: the agent is locked down, runs the injected binary, and gets keys only as files", async () => {
  const plan = planPod(
    input({ resolved: await resolved({ image: "x", containerEnv: { A: "1" } }) }),
  );
  assertEquals(plan.agentContainer.user, AGENT_USER);
  const a = placeholders<ContainerSpec>(plan.agentContainer);
  assertEquals([a.capDrop, a.securityOpt, a.init, a.user], [
    ["ALL"],
    ["no-new-privileges"],
    true,
    "<user.uid>:<user.gid>",
  ]);
  assertEquals(a.env, { HOME: "/devaipod/home" });
  assertEquals(a.entrypoint, ["/bin/sh", "-c", ENV_LOADER, "devaipod-agent"]);
  assertEquals(a.command, [AGENT_BIN, "serve", "--port", "4096", "--hostname", "0.0.0.0"]);
  // Its own clone at the workspace path (podman hands it to its user); never the human's tree.
  assertEquals(a.mounts, [
    {
      type: "volume",
      source: "devaipod-proj-ab12-agent-work",
      target: "/workspaces/proj",
      chown: true,
    },
    { type: "volume", source: "devaipod-proj-ab12-agent-home", target: "/devaipod/home" },
    { type: "bind", source: "/cache/opencode", target: AGENT_BIN, readonly: true },
  ]);
  assert(
    a.secrets?.every((s) =>
      s.type === "mount" && s.mode === 0o400 && s.target?.startsWith(`${AGENT_ENV_DIR}/`)
    ),
  );
  assert(a.healthCheck?.command.join(" ").includes("/global/health"));
  assert(
    a.secrets?.every((s) => String(s.uid) === "<user.uid>" && String(s.gid) === "<user.gid>"),
    "the key files belong to the workspace user, known once its container runs",
  );
  // No value of a key is anywhere in the agent's argv.
  const argv = containerRun(concrete<ContainerSpec>(plan.agentContainer)).argv.join(" ");
  assertEquals(argv.includes(KEY), false);
  assert(argv.includes("--user 1000:1001"), argv);
  assert(argv.includes(`${AGENT_ENV_DIR}/ANTHROPIC_API_KEY,uid=1000,gid=1001,mode=0400`), argv);
});

Deno.test("plan: the workspace user's uid and gid fill the agent's user and its key files' owner, and nothing else is left", () => {
  const plan = planPod(input());
  assertEquals(needs(plan.agentContainer), ["user.uid", "user.gid"]);
  const filled = fill<ContainerSpec>(plan.agentContainer, {
    "user.uid": "1000",
    "user.gid": "1001",
  });
  assertEquals(needs(filled), []);
  const argv = containerRun(filled).argv.join(" ");
  assert(argv.includes("--user 1000:1001"), argv);
  assert(argv.includes(`${AGENT_ENV_DIR}/ANTHROPIC_API_KEY,uid=1000,gid=1001,mode=0400`), argv);
  assertEquals(needs(plan.agentContainer), ["user.uid", "user.gid"], "the plan is not changed");
});

Deno.test("plan: the workspace gets the config's settings, the shims first on PATH and the password", async () => {
  const plan = planPod(input({
    resolved: await resolved({
      image: "x",
      containerUser: "root",
      remoteUser: "dev",
      containerEnv: { A: "1" },
      capAdd: ["SYS_PTRACE"],
      securityOpt: ["label=disable"],
      privileged: true,
      runArgs: ["--memory=2g"],
      mounts: ["source=cache,target=/cache,type=volume", {
        type: "bind",
        source: "/etc/hosts",
        target: "/h",
      }],
    }),
  }));
  const w = placeholders<ContainerSpec>(plan.workspaceContainer);
  assertEquals(w.user, "root");
  assertEquals(w.env, { A: "1", PATH: "/opt/devaipod/shims:/usr/bin:/bin" });
  assertEquals([w.capAdd, w.securityOpt, w.privileged, w.extraArgs], [
    ["SYS_PTRACE"],
    ["label=disable"],
    true,
    ["--memory=2g"],
  ]);
  // The human's tree, and the agent's clone read-only for diff and fetch.
  assertEquals(w.mounts?.slice(0, 2), [
    { type: "volume", source: "devaipod-proj-ab12-work", target: "/workspaces/proj" },
    {
      type: "volume",
      source: "devaipod-proj-ab12-agent-work",
      target: AGENT_TREE,
      readonly: true,
    },
  ]);
  assertEquals(w.mounts?.slice(4), [
    { type: "volume", source: "cache", target: "/cache" },
    { type: "bind", source: "/etc/hosts", target: "/h" },
  ]);
  assertEquals(w.secrets, [{
    name: "devaipod-proj-ab12-opencode-server-password",
    type: "mount",
    target: PASSWORD_FILE,
    mode: 0o444,
  }]);
  assertEquals(w.labels?.["io.devaipod.remote-user"], "dev");
  assertEquals(w.entrypoint?.slice(0, 2), ["/bin/sh", "-c"]);
  assertEquals(plan.remoteUser, "dev");
});

Deno.test("plan: overrideCommand false keeps the image's command; the image's own agent when asked", async () => {
  const plan = planPod(
    input({
      resolved: await resolved({ image: "x", overrideCommand: false }),
      agentBinary: undefined,
    }),
  );
  assertEquals(plan.workspaceContainer.entrypoint, undefined);
  assertEquals(plan.agentContainer.command?.[0], "opencode");
  assertEquals(plan.agentContainer.mounts?.length, 2);
});

Deno.test("plan: the image's PATH and the agent binary's host path are bindings until up learns them", () => {
  const plan = planPod(input({ agentBinary: bind("agent.binary"), imagePath: undefined }));
  const shown = placeholders<ContainerSpec>(plan.workspaceContainer);
  assertEquals(shown.env?.PATH, "/opt/devaipod/shims:<image.path>");
  const binary = { type: "bind", source: "<agent.binary>", target: AGENT_BIN, readonly: true };
  assert(shown.mounts?.some((m) => JSON.stringify(m) === JSON.stringify(binary)));
  assert(
    placeholders<ContainerSpec>(plan.agentContainer).mounts?.some((m) =>
      JSON.stringify(m) === JSON.stringify(binary)
    ),
  );
  assertEquals(needs(plan.workspaceContainer), ["image.path", "agent.binary"]);
  const w = concrete<ContainerSpec>(plan.workspaceContainer);
  assertEquals(w.env?.PATH, "/opt/devaipod/shims:/usr/bin:/bin");
  assert(
    containerRun(w).argv.includes(
      `type=bind,source=/cache/opencode,destination=${AGENT_BIN},ro=true`,
    ),
  );
});

Deno.test("plan: a project without git gives the agent's volume no agent-base label", () => {
  const table: [boolean | undefined, string | undefined][] = [
    [undefined, "<copy.commit>"],
    [true, "<copy.commit>"],
    [false, undefined],
  ];
  for (const [git, base] of table) {
    const plan = planPod(input(git === undefined ? {} : { git }));
    const volume = plan.volumes.find((v) => v.role === "agent-work");
    assert(volume);
    const labels = placeholders<Record<string, string>>(volume.labels);
    assertEquals(labels["io.devaipod.agent-base"], base, `git: ${git}`);
    assertEquals(needs(plan).includes("copy.commit"), base !== undefined, `git: ${git}`);
  }
});

Deno.test("plan: runArgs that would take a container out of its pod are refused", async () => {
  for (
    const bad of [
      "--network=host",
      "-p",
      "--publish=1:1",
      "--name=x",
      "--hostname=h",
      "--userns=host",
    ]
  ) {
    const r = await resolved({ image: "x", runArgs: [bad] });
    assertThrows(() => planPod(input({ resolved: r })), ConfigError);
  }
});

Deno.test("plan: devcontainer mounts become podman mounts", () => {
  assertEquals(configMount("source=a,target=/b,type=volume", "w"), {
    type: "volume",
    source: "a",
    target: "/b",
  });
  assertEquals(configMount("type=bind,src=/x,dst=/y,readonly", "w"), {
    type: "bind",
    source: "/x",
    target: "/y",
    readonly: true,
  });
  assertEquals(configMount({ type: "volume", target: "/anon/data" }, "w"), {
    type: "volume",
    source: "devaipod-w-anon-anon-data",
    target: "/anon/data",
  });
  assertEquals(configMount("type=tmpfs,target=/t", "w"), { type: "tmpfs", target: "/t" });
  assertThrows(() => configMount("type=bind,target=/y", "w"), /has no source/);
  assertThrows(() => configMount("source=a", "w"), /has no target/);
  assertThrows(() => configMount("type=npipe,target=/y", "w"), /not supported/);
});

Deno.test("plan: the project's volume goes where the workspace mount points", async () => {
  assertEquals(workspaceMountTarget(undefined, "/src/p"), "/workspaces/p");
  assertEquals(
    workspaceMountTarget(
      await resolved({
        image: "x",
        workspaceMount: "source=/a,target=/code,type=bind",
        workspaceFolder: "/code/sub",
      }),
      "/src/proj",
    ),
    "/code",
  );
  const custom = planPod(
    input({
      resolved: await resolved({
        image: "x",
        workspaceMount: "source=/a,target=/code,type=bind",
        workspaceFolder: "/code/sub",
      }),
    }),
  );
  assertEquals([custom.workspaceMountTarget, custom.workdir], ["/code", "/code/sub"]);
});

Deno.test("plan: workspace secrets are podman secrets mounted into the workspace only, values never in argv", () => {
  const plan = planPod(input({
    workspaceSecrets: ["NPM_TOKEN", "ANTHROPIC_API_KEY"],
    userSecrets: { GH_TOKEN: "my-gh-token" },
  }));
  const ws = plan.secrets.filter((s) => s.container === "workspace");
  // The values are read from the host's environment when the secrets are made, never planned.
  assertEquals(ws.map((s) => [s.name, s.variable, s.source]), [
    ["devaipod-proj-ab12-ws-NPM_TOKEN", "NPM_TOKEN", { env: "NPM_TOKEN" }],
    ["devaipod-proj-ab12-ws-ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", {
      env: "ANTHROPIC_API_KEY",
    }],
  ]);
  // The user's own secret is referenced, never created (nor removed) by devaipod.
  assertEquals(plan.secrets.some((s) => s.name === "my-gh-token"), false);
  const wsTargets = (placeholders<ContainerSpec>(plan.workspaceContainer).secrets ?? []).map((
    s,
  ) => `${s.name}>${s.target}`);
  assertEquals(wsTargets, [
    `devaipod-proj-ab12-opencode-server-password>${PASSWORD_FILE}`,
    `devaipod-proj-ab12-ws-NPM_TOKEN>${WORKSPACE_ENV_DIR}/NPM_TOKEN`,
    `devaipod-proj-ab12-ws-ANTHROPIC_API_KEY>${WORKSPACE_ENV_DIR}/ANTHROPIC_API_KEY`,
    `my-gh-token>${WORKSPACE_ENV_DIR}/GH_TOKEN`,
  ]);
  const agentNames = (placeholders<ContainerSpec>(plan.agentContainer).secrets ?? []).map((s) =>
    s.name
  );
  assertEquals(agentNames.some((n) => n.includes("-ws-") || n === "my-gh-token"), false);
  assert(agentNames.includes("devaipod-proj-ab12-anthropic-api-key"));
  const argv = [
    ...containerRun(concrete<ContainerSpec>(plan.workspaceContainer)).argv,
    ...containerRun(concrete<ContainerSpec>(plan.agentContainer)).argv,
  ].join(" ");
  assertEquals(argv.includes("npm-value") || argv.includes(KEY), false);
  assertEquals(JSON.stringify(plan).includes("npm-value"), false);
});

Deno.test("plan: workspace commands start through the secrets loader, arguments untouched", () => {
  const cmd = withWorkspaceEnv(["printf", "%s", "$(not run)"]);
  assertEquals(cmd.slice(0, 2), ["/bin/sh", "-c"]);
  const script = cmd[2] ?? "";
  assert(script.includes(WORKSPACE_ENV_DIR) && script.endsWith('exec "$@"'));
  assertEquals(cmd.slice(3), ["devaipod-env", "printf", "%s", "$(not run)"]);
});

Deno.test("plan: the agent's allowlist is its profile's hosts, allowedDomains, then the user config's and --allow's, each once", async () => {
  const r = await resolved({
    image: "x",
    customizations: { devaipod: { allowedDomains: ["cfg.example.com", "api.anthropic.com"] } },
  });
  const isolation = {
    egressNetwork: "podman",
    runtime: { kind: "binary" as const, binary: "/usr/bin/devaipod" },
    allowFile: "/state/w/allow",
    allow: ["user.example.com", "cfg.example.com", "flag.example.com:8443"],
  };
  const plan = planPod(input({ resolved: r, isolation }));
  assertEquals(plan.isolation?.allowFile, "/state/w/allow");
  assertEquals(plan.isolation?.allow, [
    ...OPENCODE_EGRESS,
    "cfg.example.com",
    "user.example.com",
    "flag.example.com:8443",
  ]);
  assertEquals(planPod(input({ resolved: r })).isolation, undefined, "no isolation, no list");

  const bad = await resolved({
    image: "x",
    customizations: { devaipod: { allowedDomains: ["ok.example.com", "no way", "x.com:0"] } },
  });
  const err = assertThrows(() => planPod(input({ resolved: bad, isolation })), ConfigError);
  assertEquals(
    err.message,
    "/src/proj/.devcontainer/devcontainer.json: customizations.devaipod.allowedDomains: " +
      "'no way': not a host name, *.domain or IP address; 'x.com:0': bad port",
  );
});

Deno.test("plan: every deno run of devaipod's code in a container ignores the image's deno.json and deno.lock", async () => {
  const r = await resolved({ image: "x" });
  const proxy = planPod(input({
    resolved: r,
    hostEnv: {},
    isolation: {
      egressNetwork: "podman",
      runtime: { kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" },
      allowFile: "/state/w/allow",
      allow: [],
    },
  })).isolation?.proxyContainer.entrypoint ?? [];
  assertEquals(proxy.slice(0, 7), [
    "/opt/devaipod/bin/deno",
    "run",
    "--quiet",
    "--no-config",
    "--no-lock",
    "--allow-net",
    "--allow-read=/opt/devaipod",
  ]);
  assertEquals(proxy[7], "/opt/devaipod/src/lib/proxy/main.ts");
  for (const program of Object.values(CONTAINER_PROGRAMS)) {
    const argv = containerDenoArgv(program, ["--allow-net"]);
    assertEquals(argv.slice(2, 5), ["--quiet", "--no-config", "--no-lock"], program);
    assertEquals(argv.at(-1), `/opt/devaipod/src/${program}`);
  }
});

/** A config like bootc's: privileged for stock tooling, plus every other way to widen privileges. */
const WIDE = {
  image: "x",
  privileged: true,
  capAdd: ["SYS_PTRACE"],
  securityOpt: ["apparmor=unconfined"],
  runArgs: [
    "--privileged",
    "--cap-add=NET_RAW",
    "--cap-add",
    "SYS_TIME",
    "--security-opt=label=type:spc_t",
    "--security-opt",
    "seccomp=unconfined",
    "--memory=2g",
    "--device",
    "/dev/kvm",
  ],
};

/** The workspace flags that `nestedContainers: true` gives, in podman's argv order. */
const NESTED_FLAGS = [
  ...["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN"],
  ...["--security-opt", "unmask=/proc/*", "--security-opt", "unmask=/sys/fs/cgroup"],
  ...["--security-opt", "label=disable", "--security-opt", "seccomp=unconfined"],
  ...["--device", "/dev/net/tun"],
];

Deno.test("plan: nestedContainers replaces the workspace's privileges with nested podman's set; the agent never gets it", async () => {
  const cases: {
    name: string;
    devaipod?: Record<string, unknown>;
    want: Record<string, unknown>;
  }[] = [
    {
      name: "nested",
      devaipod: { nestedContainers: true },
      want: {
        privileged: undefined,
        capAdd: ["SYS_ADMIN", "NET_ADMIN"],
        securityOpt: [
          "unmask=/proc/*",
          "unmask=/sys/fs/cgroup",
          "label=disable",
          "seccomp=unconfined",
        ],
        devices: ["/dev/net/tun"],
        // Only the security runArgs go; a device or a limit stays.
        extraArgs: ["--memory=2g", "--device", "/dev/kvm"],
      },
    },
    {
      name: "nestedContainers false",
      devaipod: { nestedContainers: false },
      want: {
        privileged: true,
        capAdd: ["SYS_PTRACE"],
        securityOpt: ["apparmor=unconfined"],
        devices: undefined,
        extraArgs: WIDE.runArgs,
      },
    },
    {
      name: "no customization",
      want: {
        privileged: true,
        capAdd: ["SYS_PTRACE"],
        securityOpt: ["apparmor=unconfined"],
        devices: undefined,
        extraArgs: WIDE.runArgs,
      },
    },
  ];
  const agentArgv: string[][] = [];
  for (const c of cases) {
    const r = await resolved({
      ...WIDE,
      ...(c.devaipod ? { customizations: { devaipod: c.devaipod } } : {}),
    });
    const plan = planPod(input({ resolved: r }));
    const w = concrete<ContainerSpec>(plan.workspaceContainer);
    assertEquals(
      {
        privileged: w.privileged,
        capAdd: w.capAdd,
        securityOpt: w.securityOpt,
        devices: w.devices,
        extraArgs: w.extraArgs,
      },
      c.want,
      c.name,
    );
    const argv = containerRun(w).argv;
    if (c.devaipod?.nestedContainers) {
      assertEquals(argv.includes("--privileged"), false, c.name);
      const at = argv.indexOf("--cap-add");
      assertEquals(argv.slice(at, at + NESTED_FLAGS.length), NESTED_FLAGS, c.name);
      assertEquals(argv.filter((a) => a === "--cap-add").length, 2, "no runArgs --cap-add left");
    }
    const a = plan.agentContainer;
    assertEquals(
      [a.capDrop, a.securityOpt, a.capAdd, a.privileged, a.devices, a.extraArgs],
      [["ALL"], ["no-new-privileges"], undefined, undefined, undefined, undefined],
      c.name,
    );
    agentArgv.push([...containerRun(concrete<ContainerSpec>(a)).argv]);
  }
  assertEquals(agentArgv[0], agentArgv[2], "the agent's argv does not depend on nestedContainers");
});

Deno.test("plan: withoutSecurityRunArgs drops --privileged, --cap-add and --security-opt in both forms", () => {
  const cases: [string[], string[]][] = [
    [[], []],
    [["--privileged"], []],
    [["--privileged=true", "--init"], ["--init"]],
    [["--cap-add", "SYS_ADMIN", "--memory=1g"], ["--memory=1g"]],
    [["--cap-add=ALL", "--cap-drop=NET_RAW"], ["--cap-drop=NET_RAW"]],
    [["--security-opt", "label=disable", "--device", "/dev/fuse"], ["--device", "/dev/fuse"]],
    [["--security-opt=seccomp=unconfined", "--shm-size=1g"], ["--shm-size=1g"]],
    // A flag that merely starts alike is kept.
    [["--privileged-ish", "--cap-addx"], ["--privileged-ish", "--cap-addx"]],
  ];
  for (const [given, want] of cases) {
    assertEquals(withoutSecurityRunArgs(given), want, given.join(" "));
  }
});

Deno.test("plan: the agent's volume records the commit its clone starts from; a folder without git has none", () => {
  const planned = planPod(input()).volumes.find((v) => v.role === "agent-work");
  assert(planned);
  const base = "0123456789abcdef0123456789abcdef01234567";
  const table: [string | undefined, Record<string, string>][] = [
    [base, {
      "io.devaipod.workspace": "proj-ab12",
      "io.devaipod.role": "agent-work",
      "io.devaipod.agent-base": base,
    }],
    [undefined, { "io.devaipod.workspace": "proj-ab12", "io.devaipod.role": "agent-work" }],
  ];
  for (const [commit, labels] of table) {
    assertEquals(withAgentBase(planned, commit).labels, labels);
  }
  assertEquals(planned.labels["io.devaipod.agent-base"], AGENT_BASE, "the plan is not changed");
  assertEquals(agentBranch("proj-ab12"), "devaipod/proj-ab12");
});

Deno.test("plan: with or without network isolation, the agent never mounts the human's tree", async () => {
  for (
    const isolation of [undefined, {
      egressNetwork: "podman",
      runtime: { kind: "binary" as const, binary: "/bin/devaipod" },
      allowFile: "/state/allow",
    }]
  ) {
    const plan = planPod(
      input({
        resolved: await resolved({ image: "x", workspaceMount: "target=/code" }),
        ...(isolation ? { isolation } : {}),
      }),
    );
    const agent = placeholders<ContainerSpec>(plan.agentContainer);
    const sources = (agent.mounts ?? []).flatMap((m) => m.type === "volume" ? [m.source] : []);
    assertEquals(sources.includes(plan.workspaceVolume), false);
    assertEquals(agent.mounts?.[0], {
      type: "volume",
      source: plan.agentWorkVolume,
      target: "/code",
      chown: true,
    });
    const ro = placeholders<ContainerSpec>(plan.workspaceContainer).mounts?.find((m) =>
      m.type === "volume" && m.source === plan.agentWorkVolume
    );
    assertEquals(ro, {
      type: "volume",
      source: plan.agentWorkVolume,
      target: AGENT_TREE,
      readonly: true,
    });
  }
});

/** Egress isolation as `up` asks for it, with devaipod's runtime as `runtime`. */
function isolationInput(
  runtime: ProxyRuntime = { kind: "binary", binary: "/usr/bin/devaipod" },
): NonNullable<PlanInput["isolation"]> {
  return { egressNetwork: "podman", runtime, allowFile: "/state/w/allow" };
}

Deno.test("plan: one way only — the agent is alone with the proxy on the internal network, the pod with the proxy on the link network", () => {
  const plan = planPod(input({ isolation: isolationInput() }));
  const iso = plan.isolation;
  assertEquals(
    [iso?.network, iso?.linkNetwork],
    [
      {
        name: "devaipod-proj-ab12-internal",
        internal: true,
        disableDns: true,
        labels: { "io.devaipod.workspace": "proj-ab12", "io.devaipod.role": "network" },
      },
      {
        name: "devaipod-proj-ab12-link",
        internal: true,
        disableDns: true,
        labels: { "io.devaipod.workspace": "proj-ab12", "io.devaipod.role": "link-network" },
      },
    ],
  );
  // Who is on which network: no network holds both the pod and the agent.
  const pod = placeholders<PodSpec>(plan.pod);
  const agent = placeholders<ContainerSpec>(plan.agentContainer);
  const proxy = placeholders<ContainerSpec>(iso?.proxyContainer ?? plan.agentContainer);
  const on = (networks: readonly string[] | undefined) =>
    (networks ?? []).map((n) => n.split(":")[0]);
  const table: [string, readonly string[] | undefined, string[]][] = [
    ["pod", pod.networks, ["podman", "devaipod-proj-ab12-link"]],
    ["agent", agent.networks, ["devaipod-proj-ab12-internal"]],
    [
      "proxy",
      proxy.networks,
      ["devaipod-proj-ab12-internal", "devaipod-proj-ab12-link", "podman"],
    ],
  ];
  for (const [who, networks, expected] of table) assertEquals(on(networks), expected, who);
  assertEquals(plan.agentContainer.pod, undefined, "the agent is not a pod member");
  // Static addresses are bindings, filled once the networks exist.
  assertEquals(pod.networks, ["podman", "devaipod-proj-ab12-link:ip=<net.pod>"]);
  assertEquals(proxy.networks, [
    "devaipod-proj-ab12-internal:ip=<net.proxy>",
    "devaipod-proj-ab12-link:ip=<net.linkProxy>",
    "podman",
  ]);
  // The workspace finds "the agent" at the proxy's relay; the agent finds only the proxy.
  assertEquals(pod.addHosts, [{ host: "agent.devaipod", ip: "<net.linkProxy>" }]);
  assertEquals(agent.addHosts, [{ host: "proxy.devaipod", ip: "<net.proxy>" }]);
  assertEquals(plan.agentUrl, "http://agent.devaipod:4096");
});

Deno.test("plan: the proxy listens on its internal address only, relays its link address to the agent and is told its own subnets", () => {
  const args = [
    "--listen",
    "<net.proxy>:3128",
    "--relay",
    "<net.linkProxy>:4096=<net.agent>:4096",
    "--own-subnet",
    "<net.internalSubnet>",
    "<net.linkSubnet>",
    "--allow-file",
    "/opt/devaipod/allow",
  ];
  const table: [ProxyRuntime, string[]][] = [
    [
      { kind: "binary", binary: "/usr/bin/devaipod" },
      ["/opt/devaipod/bin/devaipod", "proxy", ...args],
    ],
    [
      { kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" },
      [
        "/opt/devaipod/bin/deno",
        "run",
        "--quiet",
        "--no-config",
        "--no-lock",
        "--allow-net",
        "--allow-read=/opt/devaipod",
        "/opt/devaipod/src/lib/proxy/main.ts",
        ...args,
      ],
    ],
  ];
  for (const [runtime, entrypoint] of table) {
    const planned = planPod(input({ hostEnv: {}, isolation: isolationInput(runtime) })).isolation
      ?.proxyContainer;
    assert(planned);
    const proxy = placeholders<ContainerSpec>(planned);
    assertEquals(proxy.entrypoint, entrypoint, runtime.kind);
    assertEquals(JSON.stringify(proxy).includes("0.0.0.0"), false, "no wildcard listener");
  }
});

Deno.test("plan: with the proxy, the keys of the providers it serves stay in the proxy; the agent gets placeholders, the endpoints and opencode's config", () => {
  const env = { ANTHROPIC_API_KEY: KEY, OPENAI_API_KEY: "sk-o", MISTRAL_API_KEY: "sk-m" };
  const plan = planPod(input({
    hostEnv: env,
    isolation: {
      ...isolationInput({ kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" }),
      providerUpstreams: { openai: "https://gw.example.com/openai", mistral: "https://x" },
      providerCaFile: "/etc/corp-ca.pem",
    },
  }));
  assertEquals(
    plan.secrets.map((s) => [s.variable, s.container]),
    [
      ["OPENCODE_SERVER_PASSWORD", "agent"],
      ["ANTHROPIC_API_KEY", "proxy"],
      ["OPENAI_API_KEY", "proxy"],
      ["MISTRAL_API_KEY", "agent"],
    ],
  );
  const agent = placeholders<ContainerSpec>(plan.agentContainer);
  // The agent holds no served key: placeholders and the endpoints; the unknown provider's key
  // stays a file it loads, as before.
  assertEquals(
    (agent.secrets ?? []).map((s) => s.target),
    [
      "/run/secrets/devaipod-env/OPENCODE_SERVER_PASSWORD",
      "/run/secrets/devaipod-env/MISTRAL_API_KEY",
    ],
  );
  assertEquals(agent.env?.ANTHROPIC_API_KEY, "devaipod-key-held-by-the-proxy");
  assertEquals(agent.env?.OPENAI_API_KEY, "devaipod-key-held-by-the-proxy");
  assertEquals(agent.env?.ANTHROPIC_BASE_URL, "http://proxy.devaipod:3129/anthropic");
  assertEquals(agent.env?.OPENAI_BASE_URL, "http://proxy.devaipod:3129/openai/v1");
  assertEquals(agent.env?.NO_PROXY, "localhost,127.0.0.1,proxy.devaipod");
  assertEquals(JSON.parse(agent.env?.OPENCODE_CONFIG_CONTENT ?? "{}"), {
    provider: {
      anthropic: {
        options: {
          baseURL: "http://proxy.devaipod:3129/anthropic/v1",
          apiKey: "devaipod-key-held-by-the-proxy",
        },
      },
      openai: {
        options: {
          baseURL: "http://proxy.devaipod:3129/openai/v1",
          apiKey: "devaipod-key-held-by-the-proxy",
        },
      },
    },
  });
  assertEquals(JSON.stringify(agent).includes(KEY), false);
  // The proxy: the keys as files of its own user, the endpoints on its internal address only.
  const proxy = placeholders<ContainerSpec>(plan.isolation?.proxyContainer as never);
  assertEquals(
    (proxy.secrets ?? []).map((s) => [s.target, s.uid, s.mode]),
    [
      ["/run/devaipod-keys/ANTHROPIC_API_KEY", 65534, 0o400],
      ["/run/devaipod-keys/OPENAI_API_KEY", 65534, 0o400],
    ],
  );
  const entry = proxy.entrypoint ?? [];
  assertEquals(
    entry.includes(
      "--allow-read=/opt/devaipod,/run/devaipod-keys,/run/devaipod-provider-ca.pem",
    ),
    true,
    entry.join(" "),
  );
  assertEquals(entry.slice(entry.indexOf("--providers-listen")), [
    "--providers-listen",
    "<net.proxy>:3129",
    "--provider",
    "anthropic=/run/devaipod-keys/ANTHROPIC_API_KEY",
    "openai=/run/devaipod-keys/OPENAI_API_KEY",
    "--provider-upstream",
    "openai=https://gw.example.com/openai",
    "--provider-ca",
    "/run/devaipod-provider-ca.pem",
  ]);
  assert(
    (proxy.mounts ?? []).some((m) =>
      m.type === "bind" && m.source === "/etc/corp-ca.pem" &&
      m.target === "/run/devaipod-provider-ca.pem"
    ),
  );

  // Without the proxy, keys stay in the agent as before.
  const open = planPod(input({ hostEnv: env }));
  assertEquals(open.secrets.filter((s) => s.container === "proxy"), []);
  const openAgent = placeholders<ContainerSpec>(open.agentContainer);
  assertEquals(openAgent.env?.ANTHROPIC_BASE_URL, undefined);
});

Deno.test("plan: the networks' addresses are filled into the pod, the agent and the proxy's argv", () => {
  const ips = networkAddresses("10.89.0.0/24", "10.89.1.0/24");
  assertEquals(ips, {
    internalSubnet: "10.89.0.0/24",
    proxy: "10.89.0.2",
    agent: "10.89.0.3",
    gator: "10.89.0.4",
    linkSubnet: "10.89.1.0/24",
    linkProxy: "10.89.1.2",
    pod: "10.89.1.3",
  });
  assertEquals(networkAddresses("10.89.0.248/29", "10.0.255.248/29").linkProxy, "10.0.255.250");
  for (const bad of ["10.89.0.0/30", "fd00::/64", "nonsense"]) {
    assertThrows(() => networkAddresses(bad, "10.89.1.0/24"), Error);
  }

  const plan = planPod(input({ isolation: isolationInput() }));
  const planned = plan.isolation?.proxyContainer;
  assert(planned);
  const proxy = fill<ContainerSpec>(planned, addressBindings(ips));
  assertEquals(proxy.networks, [
    "devaipod-proj-ab12-internal:ip=10.89.0.2",
    "devaipod-proj-ab12-link:ip=10.89.1.2",
    "podman",
  ]);
  assertEquals(proxy.entrypoint?.slice(2, 9), [
    "--listen",
    "10.89.0.2:3128",
    "--relay",
    "10.89.1.2:4096=10.89.0.3:4096",
    "--own-subnet",
    "10.89.0.0/24",
    "10.89.1.0/24",
  ]);
  const pod = fill<PodSpec>(plan.pod, addressBindings(ips));
  assertEquals(pod.networks, ["podman", "devaipod-proj-ab12-link:ip=10.89.1.3"]);
  assertEquals(pod.addHosts, [{ host: "agent.devaipod", ip: "10.89.1.2" }]);
  const agent = fill<ContainerSpec>(plan.agentContainer, {
    ...addressBindings(ips),
    "user.uid": "1000",
    "user.gid": "1000",
  });
  assertEquals(agent.networks, ["devaipod-proj-ab12-internal:ip=10.89.0.3"]);
  assertEquals(agent.addHosts, [{ host: "proxy.devaipod", ip: "10.89.0.2" }]);
  // The addresses are all that the proxy and the pod wait for; the agent also waits for its user.
  assertEquals([needs(proxy), needs(pod), needs(agent)], [[], [], []]);
  assertThrows(() => fill<ContainerSpec>(plan.agentContainer, addressBindings(ips)), UnboundError);
});

Deno.test("plan: without isolation, the agent shares the pod's network and the pod joins none", () => {
  const shared = planPod(input());
  assertEquals([shared.pod.networks, shared.agentContainer.pod], [undefined, "devaipod-proj-ab12"]);
  assertEquals(shared.pod.addHosts, undefined);
  assertEquals(shared.agentUrl, "http://127.0.0.1:4096");
});
