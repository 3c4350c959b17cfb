import { assert, assertEquals } from "../../tests/support/assert.ts";
import { resolved } from "../../tests/support/resolved.ts";
import { bind, placeholders } from "./bindings.ts";
import { IDLE_COMMAND, planPod } from "./pod_plan.ts";
import { builtinProfile, customProfile } from "../agents/profiles.ts";
import { type Op, planUp, type Step, type UpInput } from "./up_plan.ts";

function upInput(extra: Partial<UpInput> = {}): UpInput {
  return {
    workspace: "proj-ab12",
    image: "localhost/img",
    projectPath: "/src/proj",
    projectRoot: "/src/proj",
    hostEnv: { ANTHROPIC_API_KEY: "k" },
    agentBinary: bind("agent.binary"),
    shimsDir: "/state/shims",
    readyTimeoutSeconds: 120,
    ...extra,
  };
}

const ISOLATION: NonNullable<UpInput["isolation"]> = {
  egressNetwork: "podman",
  runtime: { kind: "binary", binary: "/usr/bin/devaipod" },
  allowFile: "/state/w/allow",
};

function step(steps: readonly Step[], id: string): Step {
  const s = steps.find((x) => x.id === id);
  assert(s, `no step ${id} in ${steps.map((x) => x.id).join(", ")}`);
  return s;
}

function opOf<K extends Op["kind"]>(steps: readonly Step[], id: string, kind: K) {
  const op = step(steps, id).op;
  assertEquals(op.kind, kind, id);
  return op as Extract<Op, { kind: K }>;
}

Deno.test("planUp() plans the pod that planPod() plans for the same input", async () => {
  const input = upInput({ resolved: await resolved({ image: "x" }), isolation: ISOLATION });
  assertEquals(planUp(input).pod, planPod(input));
});

Deno.test("planUp() adds an optional step only when it is asked for", async () => {
  const hooks = await resolved({ image: "x", initializeCommand: "make prep" });
  const table: [string, Partial<UpInput>, string][] = [
    ["[trusted] secrets", { userSecrets: { GH_TOKEN: "my-gh" } }, "user-secrets"],
    ["dotfiles", { dotfiles: { url: "https://example.com/d.git" } }, "dotfiles"],
    ["initializeCommand", { resolved: hooks }, "initialize"],
    ["an injected agent", { agentBinary: bind("agent.binary") }, "agent-binary"],
    ["isolation", { isolation: ISOLATION }, "addresses"],
    ["a task", { task: "t" }, "task"],
  ];
  const bare = planUp({ ...upInput(), agentBinary: undefined }).steps.map((s) => s.id);
  for (const [name, extra, id] of table) {
    assertEquals(bare.includes(id), false, `${name}: not without it`);
    const ids = planUp({ ...upInput(), agentBinary: undefined, ...extra }).steps.map((s) => s.id);
    assert(ids.includes(id), `${name}: ${ids.join(", ")}`);
  }
});

Deno.test("planUp() orders the host's work before anything is created", async () => {
  const steps = planUp(upInput({
    resolved: await resolved({ image: "x", initializeCommand: "make prep" }),
    userSecrets: { GH_TOKEN: "my-gh" },
    dotfiles: { url: "https://example.com/d.git" },
  })).steps;
  const firstCreate = steps.findIndex((s) => s.creates);
  const ids = steps.map((s) => s.id);
  for (const id of ["leftovers", "user-secrets", "dotfiles", "initialize", "image"]) {
    assert(ids.indexOf(id) >= 0 && ids.indexOf(id) < firstCreate, `${id}: ${ids.join(", ")}`);
  }
  assertEquals(ids[0], "leftovers");
});

Deno.test("planUp() waits for the copy's archives before filling or handing over the volumes", () => {
  const steps = planUp(upInput()).steps;
  const table: [string, string][] = [
    ["volume devaipod-proj-ab12-agent-work", "copy.agent"],
    ["import devaipod-proj-ab12-work", "copy.work"],
    ["import devaipod-proj-ab12-agent-work", "copy.agent"],
    ["chown", "copy.work"],
  ];
  for (const [id, when] of table) assertEquals(step(steps, id).when, when, id);
  assertEquals(
    steps.filter((s) => s.when).map((s) => s.id).sort(),
    table.map(([id]) => id).sort(),
    "no other step is skipped",
  );
});

Deno.test("planUp() runs a group's steps together: adjacent, and none needs another's binding", () => {
  const steps = planUp(upInput({ isolation: ISOLATION })).steps;
  const groups = new Map<string, number[]>();
  steps.forEach((s, i) => {
    if (s.group) groups.set(s.group, [...(groups.get(s.group) ?? []), i]);
  });
  assertEquals([...groups.keys()].sort(), ["imports", "networks"]);
  for (const [group, at] of groups) {
    assertEquals(at.length, 2, group);
    assertEquals(at, at.map((_, k) => (at[0] ?? 0) + k), `${group} is adjacent`);
    const members = at.map((i) => steps[i] as Step);
    const produced = new Set(members.flatMap((s) => s.produces));
    for (const s of members) {
      assertEquals(s.needs.some((n) => produced.has(n)), false, s.id);
      assertEquals(s.when !== undefined && produced.has(s.when), false, s.id);
    }
  }
});

Deno.test("planUp() counts every step that creates something, and the image", () => {
  const steps = planUp(upInput({ isolation: ISOLATION, task: "t" })).steps;
  for (const s of steps) if (s.creates) assertEquals(s.counted, true, s.id);
  assertEquals(step(steps, "image").counted, true);
  const notCounted = ["leftovers", "inspect-image", "shims", "copy", "workspace-user", "task"];
  for (const id of notCounted) assertEquals(step(steps, id).counted, undefined, id);
});

Deno.test("planUp() copies the files of a folder without git, and records no agent base", () => {
  const table: [boolean, string, boolean][] = [
    [true, "copy the project (git clone of HEAD)", true],
    [false, "copy the project (files)", false],
  ];
  for (const [git, title, base] of table) {
    const steps = planUp(upInput({ git })).steps;
    assertEquals(step(steps, "copy").title, title);
    assertEquals(opOf(steps, "copy", "copy").git, git);
    const volume = step(steps, "volume devaipod-proj-ab12-agent-work");
    assertEquals(volume.needs.includes("copy.commit"), base, `git: ${git}`);
    const labels = opOf(steps, "volume devaipod-proj-ab12-agent-work", "volume").volume.labels;
    assertEquals(
      placeholders<Record<string, string>>(labels)["io.devaipod.agent-base"],
      base ? "<copy.commit>" : undefined,
    );
  }
});

Deno.test("planUp() hands the hooks step the config's lifecycle, waitFor, remoteEnv and dotfiles", async () => {
  const r = await resolved({
    image: "x",
    remoteUser: "dev",
    onCreateCommand: "a",
    postStartCommand: ["b", "c"],
    waitFor: "postCreateCommand",
    remoteEnv: { A: "1", B: null },
  });
  const hooks = opOf(
    planUp(upInput({ resolved: r, dotfiles: { url: "https://example.com/d.git" } })).steps,
    "hooks",
    "hooks",
  );
  assertEquals(hooks.steps, r.lifecycle.steps);
  assertEquals(
    [hooks.workspace, hooks.agent, hooks.remoteUser, hooks.workdir],
    ["devaipod-proj-ab12-workspace", "devaipod-proj-ab12-agent", "dev", "/workspaces/proj"],
  );
  assertEquals([hooks.waitFor, hooks.remoteEnv, hooks.dotfiles], [
    "postCreateCommand",
    { A: "1", B: null },
    true,
  ]);
  const bare = opOf(planUp(upInput()).steps, "hooks", "hooks");
  assertEquals([bare.steps, bare.waitFor, bare.dotfiles], [[], "updateContentCommand", false]);
});

Deno.test("planUp() waits for the agent by its health check behind the proxy, over HTTP without", () => {
  const table: [Partial<UpInput>, "healthcheck" | "http", boolean][] = [
    [{ isolation: ISOLATION }, "healthcheck", false],
    [{}, "http", true],
  ];
  for (const [extra, via, port] of table) {
    const steps = planUp(upInput({ ...extra, readyTimeoutSeconds: 7 })).steps;
    const wait = opOf(steps, "wait-agent", "wait-agent");
    assertEquals([wait.via, wait.timeoutSeconds, wait.container], [
      via,
      7,
      "devaipod-proj-ab12-agent",
    ]);
    assertEquals(steps.some((s) => s.id === "agent-port"), port, via);
  }
});

Deno.test("planUp() records where the image comes from: a build when the config has a Dockerfile", () => {
  const build = {
    tag: "localhost/devaipod/abc:123",
    file: "/src/proj/Dockerfile",
    context: "/src/proj",
  };
  const built = step(planUp(upInput({ image: build.tag, build })).steps, "image");
  assertEquals(built.op, { kind: "image", image: build.tag, build });
  assertEquals(built.title, `build ${build.tag}`);
  const pulled = step(planUp(upInput()).steps, "image");
  assertEquals(pulled.op, { kind: "image", image: "localhost/img" });
  assertEquals(pulled.title, "image localhost/img");
});

const QUADLET: NonNullable<UpInput["quadlet"]> = {
  unitDir: "/home/u/.config/containers/systemd",
  scope: "user",
  subnets: { internal: "10.87.1.0/29", link: "10.87.1.8/29" },
};

Deno.test("planUp() with Quadlet: units replace podman's pod, containers and networks; the rest is the same", () => {
  const podman = planUp(upInput({ isolation: ISOLATION }));
  const quadlet = planUp(upInput({ isolation: ISOLATION, quadlet: QUADLET }));
  const kinds = (plan: typeof podman) => plan.steps.map((s) => s.op.kind);
  for (const kind of ["pod", "container", "network", "addresses", "workspace-user"] as const) {
    assert(kinds(podman).includes(kind), kind);
    assertEquals(kinds(quadlet).includes(kind), false, kind);
  }
  assertEquals(quadlet.steps.map((s) => s.id), [
    "leftovers",
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
    "allow-file",
    "subnets",
    "image-user",
    "shims oc",
    "units",
    "chown",
    "link-shims",
    "wait-agent",
    "hooks",
  ]);
  const units = opOf(quadlet.steps, "units", "units");
  assertEquals(units.service, "devaipod-proj-ab12-pod.service");
  assertEquals(units.dir, QUADLET.unitDir);
  assertEquals(units.files, [
    "devaipod-proj-ab12-agent-home.volume",
    "devaipod-proj-ab12-agent-work.volume",
    "devaipod-proj-ab12-agent.container",
    "devaipod-proj-ab12-internal.network",
    "devaipod-proj-ab12-link.network",
    "devaipod-proj-ab12-proxy.container",
    "devaipod-proj-ab12-work.volume",
    "devaipod-proj-ab12-workspace.container",
    "devaipod-proj-ab12.pod",
  ]);
  assertEquals(step(quadlet.steps, "units").creates, {
    kind: "units",
    name: "devaipod-proj-ab12-pod.service",
  });
  // The addresses and the user are known before the units name them.
  const produced = (id: string) => step(quadlet.steps, id).produces;
  assert(produced("subnets").includes("net.agent"));
  assertEquals(produced("image-user"), ["user.uid", "user.gid", "user.oc"]);
  const at = (id: string) => quadlet.steps.findIndex((s) => s.id === id);
  assert(at("subnets") < at("units") && at("image-user") < at("units"));
  assert(at("units") < at("chown") && at("units") < at("wait-agent"));
});

Deno.test("planUp() without isolation, with Quadlet: no subnets step, no networks among the units", () => {
  const plan = planUp(upInput({ quadlet: QUADLET }));
  assertEquals(plan.steps.some((s) => s.id === "subnets"), false);
  const units = opOf(plan.steps, "units", "units");
  assertEquals(units.files.filter((f) => f.endsWith(".network")), []);
  assert(plan.steps.some((s) => s.id === "agent-port"));
});

Deno.test("planUp(): the leftovers step knows this host's Quadlet folder, whichever backend", () => {
  const plan = planUp(upInput({ unitDir: "/etc/containers/systemd" }));
  assertEquals(opOf(plan.steps, "leftovers", "leftovers").unitDir, "/etc/containers/systemd");
});

Deno.test("planUp() with a CLI agent: its package folder in the agent alone, an idle main process, a probe for its program, its hosts and keys, and the task started by exec", async () => {
  const claude = builtinProfile("claude");
  assert(claude);
  const input = upInput({
    resolved: await resolved({ image: "x" }),
    isolation: ISOLATION,
    agent: claude,
    task: "fix the bug",
    hostEnv: { ANTHROPIC_API_KEY: "k", OPENAI_API_KEY: "o" },
  });
  const { pod, steps } = planUp(input);
  assertEquals(opOf(steps, "agent-binary", "agent-binary").agent, "claude");
  const agent = pod.agentContainer;
  const mounts = agent.mounts?.filter((m) => m.target === "/opt/devaipod/agent") ?? [];
  assertEquals(mounts.length, 1);
  assertEquals(mounts[0]?.type === "bind" && mounts[0].readonly, true);
  assertEquals(
    pod.workspaceContainer.mounts?.some((m) => String(m.target).startsWith("/opt/devaipod/agent")),
    false,
    "the workspace does not get a CLI agent",
  );
  assertEquals(agent.command, ["/bin/sh", "-c", IDLE_COMMAND]);
  assertEquals(agent.healthCheck?.command, [
    "/bin/sh",
    "-c",
    "test -x '/opt/devaipod/agent/claude'",
  ]);
  assertEquals(agent.env?.IS_SANDBOX, "1");
  assertEquals(agent.env?.ANTHROPIC_BASE_URL, "http://proxy.devaipod:3129/anthropic");
  assertEquals("OPENCODE_CONFIG_CONTENT" in (agent.env ?? {}), false);
  // Claude Code's keys only: OPENAI_API_KEY is not its key.
  assertEquals(pod.secrets.map((s) => s.variable).sort(), [
    "ANTHROPIC_API_KEY",
    "OPENCODE_SERVER_PASSWORD",
  ]);
  assertEquals(pod.isolation?.allow, ["api.anthropic.com"]);
  assertEquals(pod.pod.labels?.["io.devaipod.agent"], "claude");
  assertEquals(JSON.parse(String(agent.labels?.["io.devaipod.agent-attach"])).resume, [
    "/opt/devaipod/agent/claude",
    "--continue",
    "--dangerously-skip-permissions",
  ]);
  assertEquals(opOf(steps, "wait-agent", "wait-agent").via, "healthcheck");
  // Its probe only looks for its program: missing after a few seconds is missing.
  assertEquals(opOf(steps, "wait-agent", "wait-agent").timeoutSeconds, 15);
  const task = opOf(steps, "task", "task");
  assertEquals(task.via, "exec");
  assertEquals(task.exec?.container, agent.name);
  assertEquals(task.exec?.workdir, pod.workdir);
  assertEquals(task.exec?.argv.slice(0, 3), ["/opt/devaipod/agent/claude", "-p", "fix the bug"]);
});

Deno.test("planUp() with a custom agent: the image's program, checked by name, nothing injected", async () => {
  const goose = customProfile("goose", { command: ["goose", "run", "-t", "{task}"] });
  const { pod, steps } = planUp(upInput({
    resolved: await resolved({ image: "x" }),
    isolation: ISOLATION,
    agent: goose,
    agentBinary: undefined,
    task: "fix it",
  }));
  assertEquals(steps.some((s) => s.id === "agent-binary"), false);
  assertEquals(pod.agentContainer.healthCheck?.command, [
    "/bin/sh",
    "-c",
    "command -v 'goose' >/dev/null 2>&1",
  ]);
  assertEquals(opOf(steps, "task", "task").exec?.argv, ["goose", "run", "-t", "fix it"]);
});

Deno.test("planUp() with opencode chosen explicitly plans what the default plans, with the agent's label", async () => {
  const opencode = builtinProfile("opencode");
  assert(opencode);
  const base = upInput({
    resolved: await resolved({ image: "x" }),
    isolation: ISOLATION,
    task: "t",
  });
  const chosen = planUp({ ...base, agent: opencode });
  const plain = planUp(base);
  assertEquals(chosen.pod.agentContainer, plain.pod.agentContainer);
  assertEquals(chosen.steps.map((s) => s.id), plain.steps.map((s) => s.id));
  assertEquals(opOf(chosen.steps, "task", "task"), opOf(plain.steps, "task", "task"));
  assertEquals(chosen.pod.pod.labels?.["io.devaipod.agent"], "opencode");
});

Deno.test("planUp() gives each further project two volumes, a copy of its own, and mounts at /workspaces/NAME", () => {
  const plan = planUp(upInput({
    projects: [
      { name: "lib", root: "/src/lib", git: true, source: "cli:/src/lib" },
      { name: "notes", root: "/src/notes", git: false, source: "config:/src/notes" },
    ],
  }));
  const copy = opOf(plan.steps, "copy lib", "copy");
  assertEquals(
    [copy.root, copy.workVolume, copy.agentVolume, copy.project],
    ["/src/lib", "devaipod-proj-ab12-work-lib", "devaipod-proj-ab12-agent-work-lib", "lib"],
  );
  assertEquals(step(plan.steps, "copy lib").produces, [
    "copy.commit:lib",
    "copy.work:lib",
    "copy.agent:lib",
  ]);
  // The agent's clone is made once its base is known; the imports and the hand-over wait too.
  const ids = plan.steps.map((s) => s.id);
  assert(ids.indexOf("volume devaipod-proj-ab12-agent-work-lib") > ids.indexOf("copy lib"));
  assertEquals(step(plan.steps, "volume devaipod-proj-ab12-agent-work-lib").when, "copy.agent:lib");
  assertEquals(step(plan.steps, "import devaipod-proj-ab12-work-notes").when, "copy.work:notes");
  assertEquals(step(plan.steps, "chown notes").when, "copy.work:notes");
  const ws = placeholders(plan.pod.workspaceContainer);
  const agent = placeholders(plan.pod.agentContainer);
  const mounts = (c: typeof ws) =>
    (c.mounts ?? []).flatMap((m) =>
      m.type === "tmpfs" ? [] : [`${m.source}:${m.target}${m.readonly ? ":ro" : ""}`]
    );
  assert(mounts(ws).includes("devaipod-proj-ab12-work-lib:/workspaces/lib"));
  assert(mounts(ws).includes("devaipod-proj-ab12-agent-work-lib:/devaipod/agent-projects/lib:ro"));
  assert(mounts(agent).includes("devaipod-proj-ab12-agent-work-lib:/workspaces/lib"));
  assertEquals(
    mounts(agent).filter((m) => m.includes("-work-") && !m.includes("agent-work")),
    [],
    "the agent never mounts a human's tree",
  );
  // The agent's clone of a folder records no base commit.
  const notesClone = plan.pod.volumes.find((v) => v.name === "devaipod-proj-ab12-agent-work-notes");
  assertEquals(notesClone?.labels["io.devaipod.agent-base"], undefined);
  assertEquals(
    JSON.parse(plan.pod.pod.labels?.["io.devaipod.projects"] as string),
    [{ name: "lib", source: "cli:/src/lib" }, { name: "notes", source: "config:/src/notes" }],
  );
});
