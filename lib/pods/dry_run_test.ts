import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { resolved } from "../../tests/support/resolved.ts";
import { OPENCODE_EGRESS } from "../agents/egress.ts";
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import { bind, type BindingName, BINDINGS, placeholders } from "../plan/bindings.ts";
import type { ProxyRuntime } from "../plan/pod_plan.ts";
import type { ContainerSpec } from "../plan/spec.ts";
import { planUp, type UpInput, type UpPlan } from "../plan/up_plan.ts";
import { containerRun } from "../podman/container.ts";
import { bindingLegend, type DryRunStep, dryRunSteps, formatDryRun } from "./dry_run.ts";
import { filler, stepCommands, undoCommand } from "./step_commands.ts";
import { imageOf } from "./image.ts";

const KEY = "sk-ant-secret-value";
const hostEnv = { ANTHROPIC_API_KEY: KEY, NPM_TOKEN: "npm-value", GH_TOKEN: "ghp_trusted" };

/** `up`'s input as up_action builds it: the agent binary and the image's PATH are bindings. */
function upInput(extra: Partial<UpInput> = {}): UpInput {
  return {
    workspace: "proj-ab12",
    image: "localhost/img",
    projectPath: "/src/proj",
    projectRoot: "/src/proj",
    hostEnv,
    agentBinary: bind("agent.binary"),
    shimsDir: "/state/shims",
    readyTimeoutSeconds: 120,
    ...extra,
  };
}

function isolation(
  runtime: ProxyRuntime = { kind: "binary", binary: "/usr/bin/devaipod" },
): NonNullable<UpInput["isolation"]> {
  return { egressNetwork: "podman", runtime, allowFile: "/state/w/allow" };
}

/** The step of `id`, failing when there is none. */
function stepOf(steps: readonly DryRunStep[], id: string): DryRunStep {
  const step = steps.find((s) => s.id === id);
  assert(step, `no step ${id} in ${steps.map((s) => s.id).join(", ")}`);
  return step;
}

/** The argv of a step's only command. */
function argvOf(steps: readonly DryRunStep[], id: string): string[] {
  const commands = stepOf(steps, id).commands;
  assertEquals(commands.length, 1, `${id}: ${JSON.stringify(commands)}`);
  return commands[0]?.argv ?? [];
}

const DOCKERFILE_PROJECT = fileURLToPath(
  new URL(
    "../../tests/fixtures/devcontainer/conformance/dockerfile-cachefrom-array",
    import.meta.url,
  ),
);

/** Plans of every shape the dry-run shows, for the properties that hold for all of them. */
async function plans(): Promise<[string, UpPlan][]> {
  const hooks = await resolved({
    image: "x",
    initializeCommand: "make prep",
    onCreateCommand: "a",
    postStartCommand: "b",
  });
  const dockerfile = await resolveDevcontainer({
    folder: DOCKERFILE_PROJECT,
    env: {},
    platform: "linux",
  });
  const built = await imageOf(dockerfile, undefined, "proj-ab12");
  return [
    ["bare image", planUp(upInput())],
    ["hooks and a task", planUp(upInput({ resolved: hooks, task: "t" }))],
    [
      "isolation and a task",
      planUp(upInput({ resolved: hooks, task: "t", isolation: isolation() })),
    ],
    [
      "isolation with deno",
      planUp(upInput({
        task: "t",
        isolation: isolation({ kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" }),
      })),
    ],
    ["no prompt", planUp(upInput({ task: "t", noPrompt: true }))],
    ["the image's own agent", planUp(upInput({ agentBinary: undefined }))],
    ["no git", planUp(upInput({ git: false }))],
    [
      "secrets and dotfiles",
      planUp(upInput({
        workspaceSecrets: ["NPM_TOKEN"],
        userSecrets: { GH_TOKEN: "my-gh" },
        userConfigFile: "/home/u/.config/devaipod.toml",
        dotfiles: { url: "https://example.com/d.git" },
      })),
    ],
    [
      "a Dockerfile",
      planUp(upInput({
        resolved: dockerfile,
        image: built.image,
        ...(built.build ? { build: built.build } : {}),
      })),
    ],
  ];
}

Deno.test("dry-run: every step in order, podman argv exact, secrets only as a named stdin", async () => {
  const r = await resolved({
    image: "x",
    initializeCommand: "make prep",
    onCreateCommand: "a",
    postAttachCommand: "b",
  });
  const steps = dryRunSteps(planUp(upInput({ resolved: r, task: "t" })));
  assertEquals(steps.map((s) => s.id), [
    "leftovers",
    "initialize",
    "image",
    "inspect-image",
    "agent-binary",
    "shims",
    "secret devaipod-proj-ab12-opencode-server-password",
    "secret devaipod-proj-ab12-anthropic-api-key",
    "volume devaipod-proj-ab12-work",
    "volume devaipod-proj-ab12-agent-home",
    "copy",
    "volume devaipod-proj-ab12-agent-work",
    "import devaipod-proj-ab12-work",
    "import devaipod-proj-ab12-agent-work",
    "pod devaipod-proj-ab12",
    "container devaipod-proj-ab12-workspace",
    "workspace-user",
    "chown",
    "shims oc",
    "link-shims",
    "container devaipod-proj-ab12-agent",
    "agent-port",
    "wait-agent",
    "hooks",
    "task",
  ]);
  const key = stepOf(steps, "secret devaipod-proj-ab12-anthropic-api-key");
  assertEquals(key.commands, [{
    argv: [
      "podman",
      "secret",
      "create",
      "--label",
      "io.devaipod.role=secret",
      "--label",
      "io.devaipod.workspace=proj-ab12",
      "devaipod-proj-ab12-anthropic-api-key",
      "-",
    ],
    stdin: "<value of $ANTHROPIC_API_KEY>",
  }]);
  assertEquals(
    stepOf(steps, "secret devaipod-proj-ab12-opencode-server-password").commands[0]?.stdin,
    "<a new random password>",
  );
  assertEquals(JSON.stringify(steps).includes(KEY), false, "no key's value anywhere");

  const agentWork = stepOf(steps, "volume devaipod-proj-ab12-agent-work");
  assertEquals(agentWork.commands[0]?.argv, [
    "podman",
    "volume",
    "create",
    "--label",
    "io.devaipod.agent-base=<copy.commit>",
    "--label",
    "io.devaipod.role=agent-work",
    "--label",
    "io.devaipod.workspace=proj-ab12",
    "devaipod-proj-ab12-agent-work",
  ]);
  assertEquals(agentWork.when, "copy.agent", "made only once the agent's clone exists");
  assertEquals(argvOf(steps, "import devaipod-proj-ab12-agent-work"), [
    "podman",
    "volume",
    "import",
    "devaipod-proj-ab12-agent-work",
    "<copy.agent>",
  ]);
  assertEquals(argvOf(steps, "import devaipod-proj-ab12-work"), [
    "podman",
    "volume",
    "import",
    "devaipod-proj-ab12-work",
    "<copy.work>",
  ]);
  const copy = stepOf(steps, "copy");
  assert(copy.action?.includes("git branch devaipod/proj-ab12 there → <copy.agent>"), copy.action);
  assertEquals(copy.produces, ["copy.commit", "copy.work", "copy.agent"]);
  // The agent's mount in its container's argv: podman hands the volume to the agent's user.
  assert(
    argvOf(steps, "container devaipod-proj-ab12-agent").includes(
      "type=volume,source=devaipod-proj-ab12-agent-work,destination=/workspaces/proj,U=true",
    ),
  );
  assertEquals(argvOf(steps, "chown"), [
    "podman",
    "container",
    "exec",
    "--user",
    "0",
    "devaipod-proj-ab12-workspace",
    "chown",
    "-R",
    "<user.uid>:<user.gid>",
    "/workspaces/proj",
  ]);
  const init = stepOf(steps, "initialize");
  assertEquals(init.commands, [], "initializeCommand runs on the host");
  assert(init.action?.startsWith("on the host, in /src/proj: "), init.action);
  assert(init.action?.includes("make prep"), init.action);
  // The hooks of a create, postAttachCommand left out (nobody attaches).
  assert(
    stepOf(steps, "hooks").action?.startsWith("onCreateCommand: "),
    stepOf(steps, "hooks").action,
  );
  assertEquals(stepOf(steps, "hooks").action?.includes("postAttachCommand"), false);
  for (const s of steps) assertEquals(s.commands.every((c) => c.argv[0] === "podman"), true, s.id);
});

Deno.test("dry-run: every step id is unique", async () => {
  for (const [name, plan] of await plans()) {
    const ids = plan.steps.map((s) => s.id);
    assertEquals(ids.length, new Set(ids).size, `${name}: ${ids.join(", ")}`);
  }
});

Deno.test("dry-run: every binding a step needs or waits for is produced by an earlier step", async () => {
  for (const [name, plan] of await plans()) {
    const produced = new Set<BindingName>();
    for (const step of plan.steps) {
      for (const n of step.needs) assert(produced.has(n), `${name}: ${step.id} needs ${n} early`);
      if (step.when) assert(produced.has(step.when), `${name}: ${step.id} waits for ${step.when}`);
      step.produces.forEach((n) => produced.add(n));
    }
    // What the dry-run prints agrees: a <binding> in a step's commands was produced before it.
    const seen = new Set<string>();
    for (const s of dryRunSteps(plan)) {
      const shown = JSON.stringify(s.commands).matchAll(/<([a-z]+\.[a-zA-Z]+)>/g);
      for (const [, n] of shown) {
        assert(n && n in BINDINGS, `${name}: ${s.id} shows <${n}>, which is no binding`);
        assert(seen.has(n), `${name}: ${s.id} shows <${n}> before a step produced it`);
      }
      (s.produces ?? []).forEach((n) => seen.add(n));
    }
  }
});

/** A value for every binding, as `up` learns them. */
const SAMPLE: Record<keyof typeof BINDINGS, string> = {
  "image.path": "/usr/bin:/bin",
  "image.arch": "amd64",
  "agent.binary": "/cache/opencode",
  "copy.commit": "0123456789abcdef0123456789abcdef01234567",
  "copy.work": "/tmp/work.tar",
  "copy.agent": "/tmp/agent.tar",
  "net.internalSubnet": "10.89.0.0/24",
  "net.proxy": "10.89.0.2",
  "net.agent": "10.89.0.3",
  "net.gator": "10.89.0.4",
  "net.linkSubnet": "10.89.1.0/24",
  "net.linkProxy": "10.89.1.2",
  "net.pod": "10.89.1.3",
  "user.uid": "1000",
  "user.gid": "1001",
  "user.oc": "none",
};

Deno.test("dry-run: up's commands are the dry-run's, each <binding> filled with its value", async () => {
  for (const [name, plan] of await plans()) {
    const shown = dryRunSteps(plan);
    plan.steps.forEach((step, i) => {
      const run = stepCommands(step, filler(SAMPLE)).map((c) => ["podman", ...c.command.argv]);
      const expected = (shown[i]?.commands ?? []).map((c) =>
        c.argv.map((a) =>
          a.replaceAll(
            /<([a-z]+\.[a-zA-Z]+)>/g,
            (whole, b: string) => b in SAMPLE ? SAMPLE[b as keyof typeof SAMPLE] : whole,
          )
        )
      );
      assertEquals(run, expected, `${name}: ${step.id}`);
    });
  }
});

Deno.test("dry-run: the legend names every binding the plan produces or needs, and no other", async () => {
  for (const [name, plan] of await plans()) {
    const used = new Set(plan.steps.flatMap((s) => [...s.produces, ...s.needs]));
    const legend = bindingLegend(plan);
    assertEquals(new Set(Object.keys(legend)), used, name);
    for (const [b, what] of Object.entries(legend)) {
      assertEquals(what, BINDINGS[b as keyof typeof BINDINGS], name);
    }
  }
});

Deno.test("dry-run: what a step creates has an undo for rollback, except volumes (user data)", async () => {
  const kinds = new Set<string>();
  for (const [name, plan] of await plans()) {
    const steps = dryRunSteps(plan);
    for (const step of plan.steps) {
      const created = step.creates;
      if (!created) continue;
      kinds.add(created.kind);
      assertEquals(stepOf(steps, step.id).creates, `${created.kind} ${created.name}`, name);
      const undo = undoCommand(created);
      if (created.kind === "volume") {
        assertEquals(undo, undefined, `${name}: ${step.id}`);
        continue;
      }
      assert(undo, `${name}: ${step.id} has no undo`);
      assertEquals(undo.argv.slice(0, 2), [created.kind, "rm"], `${name}: ${step.id}`);
      assert(undo.argv.includes(created.name), `${name}: ${step.id}: ${undo.argv.join(" ")}`);
    }
  }
  assertEquals(kinds, new Set(["container", "network", "pod", "secret", "volume"]), "all covered");
});

Deno.test("dry-run: the image is pulled when missing, or built with its config hash and cache sources", async () => {
  const pulled = dryRunSteps(planUp(upInput()));
  assertEquals(stepOf(pulled, "image").commands, [
    { argv: ["podman", "image", "exists", "localhost/img"] },
    {
      argv: ["podman", "image", "pull", "--quiet", "localhost/img"],
      when: "the image is not in local storage",
    },
  ]);

  const r = await resolveDevcontainer({ folder: DOCKERFILE_PROJECT, env: {}, platform: "linux" });
  const { image, build } = await imageOf(r, undefined, "proj-ab12");
  assert(build);
  const hash = build.labels?.["io.devaipod.config-hash"];
  assert(hash && image.endsWith(`:${hash}`), `${image} ${hash}`);
  const built = dryRunSteps(planUp(upInput({ resolved: r, image, build })));
  const step = stepOf(built, "image");
  assertEquals(step.step, `build ${image}`);
  assertEquals(step.commands.length, 2);
  assertEquals(step.commands[0], { argv: ["podman", "image", "exists", image] });
  const buildCommand = step.commands[1];
  assertEquals(buildCommand?.when, "no image has this tag yet");
  const argv = buildCommand?.argv ?? [];
  assertEquals(argv.slice(0, 5), ["podman", "build", "--quiet", "--tag", image]);
  assertEquals(argv.at(-1), build.context);
  const joined = argv.join(" ");
  assert(joined.includes(`--file ${build.file}`), joined);
  assert(joined.includes(`--label io.devaipod.config-hash=${hash}`), joined);
  assert(joined.includes("--label io.devaipod.workspace=proj-ab12"), joined);
  assert(joined.includes("--cache-from a:1 --cache-from b:2"), joined);
  assertEquals(joined.includes("image pull"), false, "a built image is never pulled");
  // The containers run the built tag.
  assert(argvOf(built, "container devaipod-proj-ab12-workspace").includes(image));
});

Deno.test("dry-run: with isolation, both networks, the addresses and the proxy's relay appear; without, neither", () => {
  const steps = dryRunSteps(planUp(upInput({ isolation: isolation() })));
  const ids = steps.map((s) => s.id);
  assertEquals(ids.slice(ids.indexOf("allow-file"), ids.indexOf("pod devaipod-proj-ab12") + 1), [
    "allow-file",
    "network devaipod-proj-ab12-internal",
    "network devaipod-proj-ab12-link",
    "addresses",
    "container devaipod-proj-ab12-proxy",
    "pod devaipod-proj-ab12",
  ]);
  assertEquals(argvOf(steps, "network devaipod-proj-ab12-link"), [
    "podman",
    "network",
    "create",
    "--internal",
    "--disable-dns",
    "--label",
    "io.devaipod.role=link-network",
    "--label",
    "io.devaipod.workspace=proj-ab12",
    "devaipod-proj-ab12-link",
  ]);
  const addresses = stepOf(steps, "addresses");
  assertEquals(addresses.commands, [{
    argv: [
      "podman",
      "network",
      "inspect",
      "--format",
      "json",
      "devaipod-proj-ab12-internal",
      "devaipod-proj-ab12-link",
    ],
  }]);
  assertEquals(
    addresses.action,
    "the subnets → the proxy .2, the agent .3 and the gator .4 on the internal network, " +
      "the proxy .2 and the pod .3 on the link network",
  );
  assertEquals(addresses.produces, [
    "net.internalSubnet",
    "net.linkSubnet",
    "net.proxy",
    "net.agent",
    "net.gator",
    "net.linkProxy",
    "net.pod",
  ]);
  const proxyArgv = argvOf(steps, "container devaipod-proj-ab12-proxy");
  const entrypoint = proxyArgv[proxyArgv.indexOf("--entrypoint") + 1];
  assert(entrypoint?.includes('"--relay","<net.linkProxy>:4096=<net.agent>:4096"'), entrypoint);
  assert(argvOf(steps, "pod devaipod-proj-ab12").includes("devaipod-proj-ab12-link:ip=<net.pod>"));
  assert(
    argvOf(steps, "container devaipod-proj-ab12-agent").includes(
      "devaipod-proj-ab12-internal:ip=<net.agent>",
    ),
  );
  // The agent's health comes from its health check (nothing on the host reaches it).
  assertEquals(ids.includes("agent-port"), false);
  assertEquals(stepOf(steps, "wait-agent").commands.map((c) => [c.argv.slice(1, 3), c.when]), [
    [["healthcheck", "run"], "every 250 ms until healthy"],
    [["container", "logs"], "it never became healthy"],
  ]);

  const off = dryRunSteps(planUp(upInput()));
  const offIds = off.map((s) => s.id);
  for (
    const id of [
      "allow-file",
      "network devaipod-proj-ab12-internal",
      "network devaipod-proj-ab12-link",
      "addresses",
      "container devaipod-proj-ab12-proxy",
    ]
  ) {
    assertEquals(offIds.includes(id), false, id);
  }
  assertEquals(/<net\./.test(JSON.stringify(off)), false, "no address to wait for");
});

Deno.test("dry-run: without isolation, the agent's port is read from the pod and its health polled over HTTP", () => {
  const plan = planUp(upInput({ task: "t" }));
  const steps = dryRunSteps(plan);
  const ids = steps.map((s) => s.id);
  assert(ids.indexOf("container devaipod-proj-ab12-agent") < ids.indexOf("agent-port"));
  assert(ids.indexOf("agent-port") < ids.indexOf("wait-agent"));
  assertEquals(argvOf(steps, "agent-port"), [
    "podman",
    "port",
    "devaipod-proj-ab12-workspace",
    "4096/tcp",
  ]);
  const wait = plan.steps.find((s) => s.id === "wait-agent")?.op;
  assertEquals(wait?.kind === "wait-agent" ? wait.via : undefined, "http");
  assert(stepOf(steps, "wait-agent").action?.startsWith("GET /global/health "));
  // The task goes to the published port too: no podman command.
  const task = stepOf(steps, "task");
  assertEquals(task.commands, []);
  assert(task.action?.startsWith("POST /session"), task.action);
});

Deno.test("dry-run: with isolation, the task goes through the agent client in the proxy's container", () => {
  const table: [ProxyRuntime, string[]][] = [
    [{ kind: "binary", binary: "/usr/bin/devaipod" }, [
      "/opt/devaipod/bin/devaipod",
      "agent-client",
    ]],
    [{ kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" }, [
      "/opt/devaipod/bin/deno",
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--allow-net",
      "/opt/devaipod/src/lib/pods/agent_client.ts",
    ]],
  ];
  for (const [runtime, client] of table) {
    const plan = planUp(upInput({ task: "fix it", isolation: isolation(runtime) }));
    const task = stepOf(dryRunSteps(plan), "task");
    assertEquals(task.commands, [{
      argv: [
        "podman",
        "container",
        "exec",
        "--interactive",
        "devaipod-proj-ab12-proxy",
        ...client,
      ],
      stdin: "<the task and the password>",
    }], runtime.kind);
    assertEquals(plan.steps.find((s) => s.id === "task")?.needs, ["net.agent"], runtime.kind);
  }
});

Deno.test("dry-run: --no-prompt sends no task; without a task there is none either", () => {
  const table: [string, Partial<UpInput>, boolean][] = [
    ["a task", { task: "t" }, true],
    ["a task, --no-prompt", { task: "t", noPrompt: true }, false],
    [
      "a task, --no-prompt, isolation",
      { task: "t", noPrompt: true, isolation: isolation() },
      false,
    ],
    ["no task", {}, false],
  ];
  for (const [name, extra, sent] of table) {
    const ids = dryRunSteps(planUp(upInput(extra))).map((s) => s.id);
    assertEquals(ids.includes("task"), sent, name);
  }
});

Deno.test("dry-run: the allowlist step lists the agent's hosts in order", async () => {
  const r = await resolved({
    image: "x",
    customizations: { devaipod: { allowedDomains: ["cfg.example.com", "api.anthropic.com"] } },
  });
  const plan = planUp(upInput({
    resolved: r,
    isolation: { ...isolation(), allow: ["user.example.com", "flag.example.com:8443"] },
  }));
  const allow = [
    ...OPENCODE_EGRESS,
    "cfg.example.com",
    "user.example.com",
    "flag.example.com:8443",
  ];
  assertEquals(plan.pod.isolation?.allow, allow);
  const step = stepOf(dryRunSteps(plan), "allow-file");
  assertEquals(step.action, `write /state/w/allow: ${allow.join(", ")}`);
  assertEquals(step.step, `allowlist (${allow.length} hosts)`);
  assertEquals(step.commands, [], "written on the host");
});

Deno.test("dry-run: workspace secrets are made from the host's variables, their values never shown", () => {
  const steps = dryRunSteps(planUp(upInput({
    workspaceSecrets: ["NPM_TOKEN"],
    userSecrets: { GH_TOKEN: "my-gh" },
    userConfigFile: "/home/u/.config/devaipod.toml",
  })));
  const secret = stepOf(steps, "secret devaipod-proj-ab12-ws-NPM_TOKEN");
  assertEquals(secret.commands[0]?.stdin, "<value of $NPM_TOKEN>");
  assertEquals(secret.creates, "secret devaipod-proj-ab12-ws-NPM_TOKEN");
  // The user's own secret is checked, never created.
  const user = stepOf(steps, "user-secrets");
  assertEquals(user.commands, [{
    argv: ["podman", "secret", "ls", "--noheading", "--format", "{{.Name}}"],
  }]);
  assertEquals(user.action, "each must exist: my-gh");
  assertEquals(steps.some((s) => s.creates === "secret my-gh"), false);
  const json = JSON.stringify(steps);
  for (const value of Object.values(hostEnv)) assertEquals(json.includes(value), false, value);
});

Deno.test("dry-run: nestedContainers — the workspace container's argv is the planned spec's, as up runs it", async () => {
  for (const nested of [true, false]) {
    const r = await resolved({
      image: "x",
      privileged: true,
      runArgs: ["--cap-add=NET_RAW", "--memory=2g"],
      customizations: { devaipod: { nestedContainers: nested } },
    });
    const plan = planUp(upInput({ resolved: r }));
    const argv = argvOf(dryRunSteps(plan), "container devaipod-proj-ab12-workspace");
    assertEquals(argv, [
      "podman",
      ...containerRun(placeholders<ContainerSpec>(plan.pod.workspaceContainer)).argv,
    ], `nested: ${nested}`);
    assertEquals(argv.includes("--privileged"), !nested, `nested: ${nested}`);
    assertEquals(argv.includes("/dev/net/tun"), nested, `nested: ${nested}`);
  }
});

Deno.test("dry-run: the image's own agent needs no binary step and no mount", () => {
  const own = dryRunSteps(planUp(upInput({ agentBinary: undefined })));
  assertEquals(own.some((s) => s.id === "agent-binary"), false);
  assertEquals(JSON.stringify(own).includes("<agent.binary>"), false);
  const injected = dryRunSteps(planUp(upInput({ agentVersion: "1.0.0" })));
  const binary = stepOf(injected, "agent-binary");
  assertEquals(binary.produces, ["agent.binary"]);
  assert(binary.action?.startsWith("opencode 1.0.0 for <image.arch>"), binary.action);
  assert(
    argvOf(injected, "container devaipod-proj-ab12-agent").includes(
      "type=bind,source=<agent.binary>,destination=/opt/devaipod/bin/opencode,ro=true",
    ),
  );
});

Deno.test("dry-run: the dotfiles URL is shown without the credentials it carries", () => {
  const steps = dryRunSteps(planUp(upInput({
    dotfiles: { url: "https://tok3n@example.com/d.git", script: "setup.sh" },
  })));
  const dotfiles = stepOf(steps, "dotfiles");
  assert(dotfiles.action?.includes("https://example.com/d.git"), dotfiles.action);
  assert(dotfiles.action?.includes("setup.sh"), dotfiles.action);
  assertEquals(JSON.stringify(steps).includes("tok3n"), false);
  assertEquals(formatDryRun(steps, bindingLegend(planUp(upInput()))).includes("tok3n"), false);
});

Deno.test("formatDryRun() numbers the steps, indents their commands and ends with the legend", () => {
  const steps: DryRunStep[] = [
    { id: "a", step: "first", commands: [{ argv: ["podman", "pod", "ps"] }] },
    {
      id: "b",
      step: "second",
      action: "on the host",
      when: "copy.work",
      commands: [
        { argv: ["podman", "secret", "create", "s", "-"], stdin: "<value of $K>" },
        { argv: ["podman", "image", "pull", "x"], when: "it is missing" },
      ],
    },
  ];
  assertEquals(
    formatDryRun(steps, { "copy.work": BINDINGS["copy.work"] }),
    [
      "  1. first",
      "       podman pod ps",
      "  2. second  (only when <copy.work> is known)",
      "       on the host",
      "       podman secret create s - < <value of $K>",
      "       [it is missing] podman image pull x",
      "  values known only while applying:",
      `    <copy.work>  ${BINDINGS["copy.work"]}`,
    ].join("\n"),
  );
  assertEquals(formatDryRun(steps.slice(0, 1), {}), "  1. first\n       podman pod ps");
});
