import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { resolvedSample } from "../../tests/support/resolved.ts";
import { renderPlanInput } from "../cli/render_action.ts";
import type { RenderPlanParts } from "../cli/render_action.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { planPod } from "../plan/pod_plan.ts";
import type { ContainerSpec } from "../plan/spec.ts";
import { VERSION } from "../version.ts";
import { quadletInputFromPlan } from "./from_pod_plan.ts";
import { CONTAINER_FIELDS, NETWORK_FIELDS, POD_FIELDS, renderQuadlet } from "./render.ts";
import type { QuadletInput, QuadletUnit } from "./render.ts";
import { secretCommands } from "./secrets.ts";
import { subnetsFrom, workspaceSubnets } from "./subnets.ts";
import { QuadletRefusal } from "./unit_text.ts";

/** A recognizable fake key: it must never appear in a unit or a command. */
const FAKE_KEY = "sk-ant-api03-FAKE-KEY-MUST-NOT-APPEAR-0123456789";
const FAKE_TOKEN = "ghp_FAKE_TOKEN_MUST_NOT_APPEAR";
const HOST_ENV = { ANTHROPIC_API_KEY: FAKE_KEY, GH_TOKEN: FAKE_TOKEN, EMPTY_KEY: "" };

const FIXTURES = new URL("../../tests/fixtures/", import.meta.url);

const resolvedFrom = resolvedSample;

/** The units of a project as `render` makes them, with this machine's paths fixed. */
function renderProject(
  resolved: ResolvedConfig,
  extra: Partial<RenderPlanParts> = {},
  subnet?: string,
): { input: QuadletInput; units: QuadletUnit[] } {
  const sample = resolved.workspaceFolder.split("/").at(-1) ?? "x";
  const workspace = `${sample}-ab12`;
  const { input: planInput } = renderPlanInput({
    workspace,
    folder: resolved.workspaceFolder,
    resolved,
    image: resolved.source.kind === "image" ? resolved.source.image : "localhost/img",
    user: {},
    hostEnv: HOST_ENV,
    dirs: { cache: "/home/dev/.cache/devaipod", state: "/home/dev/.local/state/devaipod" },
    runtime: { kind: "binary", binary: "/usr/local/bin/devaipod" },
    arch: "x86_64",
    networkIsolation: true,
    ...extra,
  });
  const input = quadletInputFromPlan(planPod(planInput), {
    subnets: subnet ? subnetsFrom(subnet) : workspaceSubnets(workspace),
    agentUser: { uid: 1000, gid: 1000 },
  });
  return { input, units: renderQuadlet(input) };
}

function lines(units: readonly QuadletUnit[], file: string): string[] {
  const unit = units.find((u) => u.file === file);
  assert(unit, `no ${file} among ${units.map((u) => u.file).join(", ")}`);
  return unit.text.split("\n");
}

function assertLines(units: readonly QuadletUnit[], file: string, want: string[], not: string[]) {
  const have = lines(units, file);
  for (const line of want) assert(have.includes(line), `${file} lacks ${line}\n${have.join("\n")}`);
  for (const line of not) {
    assert(!have.some((h) => h.startsWith(line)), `${file} has ${line}\n${have.join("\n")}`);
  }
}

const MINIMAL = '{ "image": "localhost/devaipod-test/dev:latest", "forwardPorts": [3000] }';

Deno.test("render: a workspace is one pod, three containers, two networks and three volumes", async () => {
  const { units } = renderProject(await resolvedFrom("demo", MINIMAL));
  assertEquals(units.map((u) => u.file), [
    "devaipod-demo-ab12-agent-home.volume",
    "devaipod-demo-ab12-agent-work.volume",
    "devaipod-demo-ab12-agent.container",
    "devaipod-demo-ab12-internal.network",
    "devaipod-demo-ab12-link.network",
    "devaipod-demo-ab12-proxy.container",
    "devaipod-demo-ab12-work.volume",
    "devaipod-demo-ab12-workspace.container",
    "devaipod-demo-ab12.pod",
  ]);
});

Deno.test("render: what each unit must say, plan by plan", async () => {
  // 10.87.3.16/28: internal 10.87.3.16/29 (proxy .18, agent .19), link 10.87.3.24/29 (proxy .26, pod .27).
  const subnet = "10.87.3.16/28";
  const demo = await resolvedFrom("demo", MINIMAL);
  const nested = await resolvedFrom(
    "nested",
    JSON.stringify({
      image: "localhost/img",
      runArgs: ["--device=/dev/fuse"],
      customizations: { devaipod: { nestedContainers: true } },
    }),
  );
  const table: {
    name: string;
    resolved: ResolvedConfig;
    extra?: Partial<RenderPlanParts>;
    file: string;
    want: string[];
    not?: string[];
  }[] = [
    {
      name: "the agent: locked down, alone on the internal network, outside the pod",
      resolved: demo,
      file: "devaipod-demo-ab12-agent.container",
      want: [
        "PartOf=devaipod-demo-ab12-pod.service",
        "ContainerName=devaipod-demo-ab12-agent",
        "User=1000:1000",
        "RunInit=true",
        "DropCapability=ALL",
        "NoNewPrivileges=true",
        "Network=devaipod-demo-ab12-internal.network:ip=10.87.3.19",
        "AddHost=proxy.devaipod:10.87.3.18",
        "Environment=HTTPS_PROXY=http://proxy.devaipod:3128",
        "Environment=HOME=/devaipod/home",
        "Mount=type=volume,source=devaipod-demo-ab12-agent-work.volume," +
        "destination=/workspaces/demo,U=true",
        "Mount=type=volume,source=devaipod-demo-ab12-agent-home.volume," +
        "destination=/devaipod/home",
        "Environment=ANTHROPIC_API_KEY=devaipod-key-held-by-the-proxy",
        "Environment=ANTHROPIC_BASE_URL=http://proxy.devaipod:3129/anthropic",
        "HealthInterval=10s",
        "HealthRetries=3",
        "StopTimeout=3",
        "Exec=/opt/devaipod/bin/opencode serve --port 4096 --hostname 0.0.0.0",
        "Restart=on-failure",
        "WantedBy=default.target",
      ],
      not: [
        "Pod=",
        "Network=podman",
        "PublishPort=",
        "AddCapability=",
        "PodmanArgs=",
        "Secret=devaipod-demo-ab12-anthropic-api-key",
      ],
    },
    {
      name: "the proxy: read-only, no capabilities, on both networks and the egress one",
      resolved: demo,
      file: "devaipod-demo-ab12-proxy.container",
      want: [
        "User=65534:65534",
        "ReadOnly=true",
        "DropCapability=ALL",
        "NoNewPrivileges=true",
        "Network=devaipod-demo-ab12-internal.network:ip=10.87.3.18",
        "Network=devaipod-demo-ab12-link.network:ip=10.87.3.26",
        "Network=podman",
        "Mount=type=bind,source=/home/dev/.local/state/devaipod/workspaces/demo-ab12/allow," +
        "destination=/opt/devaipod/allow,ro=true",
        "Mount=type=tmpfs,destination=/tmp",
        'Entrypoint=["/opt/devaipod/bin/devaipod","proxy","--listen","10.87.3.18:3128",' +
        '"--relay","10.87.3.26:4096=10.87.3.19:4096","--own-subnet","10.87.3.16/29",' +
        '"10.87.3.24/29","--allow-file","/opt/devaipod/allow","--providers-listen",' +
        '"10.87.3.18:3129","--provider","anthropic=/run/devaipod-keys/ANTHROPIC_API_KEY"]',
        "Secret=devaipod-demo-ab12-anthropic-api-key,type=mount," +
        "target=/run/devaipod-keys/ANTHROPIC_API_KEY,uid=65534,gid=65534,mode=0400",
      ],
      not: ["Pod="],
    },
    {
      name: "the workspace: a pod member without networks of its own",
      resolved: demo,
      file: "devaipod-demo-ab12-workspace.container",
      want: [
        "Pod=devaipod-demo-ab12.pod",
        "RunInit=true",
        "Environment=PATH=/opt/devaipod/shims:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "Mount=type=volume,source=devaipod-demo-ab12-agent-work.volume," +
        "destination=/devaipod/agent,ro=true",
        "Secret=devaipod-demo-ab12-opencode-server-password,type=mount," +
        "target=/run/secrets/devaipod-agent-password,mode=0444",
        `Entrypoint=["/bin/sh","-c","trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $$!; done"]`,
      ],
      not: ["Network=", "AddHost=", "PublishPort=", "PartOf=", "DropCapability="],
    },
    {
      name: "the pod: the egress and link networks, the agent's name, the forwarded ports",
      resolved: demo,
      file: "devaipod-demo-ab12.pod",
      want: [
        "Wants=devaipod-demo-ab12-agent.service devaipod-demo-ab12-proxy.service",
        "PodName=devaipod-demo-ab12",
        "Network=podman",
        "Network=devaipod-demo-ab12-link.network:ip=10.87.3.27",
        "AddHost=agent.devaipod:10.87.3.26",
        "PublishPort=127.0.0.1:3000:3000",
        "PodmanArgs=--hostname=demo-ab12",
        "PodmanArgs=--label=io.devaipod.role=pod",
        "PodmanArgs=--label=io.devaipod.project=/src/demo",
        `PodmanArgs=--label=io.devaipod.version=${VERSION}`,
        "WantedBy=default.target",
      ],
      not: ["Label=", "HostName=", "PublishPort=127.0.0.1::4096"],
    },
    {
      name: "the internal network: no route out, no DNS, a fixed subnet",
      resolved: demo,
      file: "devaipod-demo-ab12-internal.network",
      want: [
        "NetworkName=devaipod-demo-ab12-internal",
        "Internal=true",
        "DisableDNS=true",
        "Subnet=10.87.3.16/29",
        "Label=io.devaipod.role=network",
      ],
    },
    {
      name: "the link network: the pod and the proxy only",
      resolved: demo,
      file: "devaipod-demo-ab12-link.network",
      want: ["Internal=true", "DisableDNS=true", "Subnet=10.87.3.24/29"],
    },
    {
      name: "the agent's clone: a volume without a base commit (units never clone)",
      resolved: demo,
      file: "devaipod-demo-ab12-agent-work.volume",
      want: ["VolumeName=devaipod-demo-ab12-agent-work", "Label=io.devaipod.role=agent-work"],
      not: ["Label=io.devaipod.agent-base"],
    },
    {
      name: "without isolation the agent shares the pod, which publishes its port on loopback",
      resolved: demo,
      extra: { networkIsolation: false },
      file: "devaipod-demo-ab12-agent.container",
      want: ["Pod=devaipod-demo-ab12.pod", "DropCapability=ALL", "NoNewPrivileges=true"],
      not: ["Network=", "PartOf=", "Environment=HTTPS_PROXY"],
    },
    {
      name: "without isolation the pod publishes the agent's port on loopback",
      resolved: demo,
      extra: { networkIsolation: false },
      file: "devaipod-demo-ab12.pod",
      want: ["PublishPort=127.0.0.1:3000:3000", "PublishPort=127.0.0.1::4096"],
      not: ["Network=", "Wants="],
    },
    {
      name: "nested containers: the workspace's set, as keys where Quadlet has them",
      resolved: nested,
      file: "devaipod-nested-ab12-workspace.container",
      want: [
        "AddCapability=SYS_ADMIN",
        "AddCapability=NET_ADMIN",
        "SecurityLabelDisable=true",
        "SeccompProfile=unconfined",
        "AddDevice=/dev/net/tun",
        'PodmanArgs="--security-opt=unmask=/proc/*" --security-opt=unmask=/sys/fs/cgroup',
        "PodmanArgs=--device=/dev/fuse",
      ],
    },
    {
      name: "nested containers never reach the agent",
      resolved: nested,
      file: "devaipod-nested-ab12-agent.container",
      want: ["DropCapability=ALL", "NoNewPrivileges=true"],
      not: ["AddCapability=", "AddDevice=", "PodmanArgs=", "SecurityLabelDisable="],
    },
  ];
  for (const row of table) {
    const { units } = renderProject(row.resolved, row.extra, subnet);
    assertLines(units, row.file, row.want, row.not ?? []);
  }
  const noIsolation = renderProject(demo, { networkIsolation: false }).units.map((u) => u.file);
  assert(!noIsolation.some((f) => f.endsWith(".network") || f.includes("proxy")), `${noIsolation}`);
});

Deno.test("render: extra run options come last, after the security options", async () => {
  const { units } = renderProject(await resolvedFrom("security-and-run"));
  const have = lines(units, "devaipod-security-and-run-ab12-workspace.container");
  const args = have.filter((l) => l.startsWith("PodmanArgs="));
  assertEquals(args, ["PodmanArgs=--device=/dev/fuse --cap-add=SYS_PTRACE"]);
  assertEquals(have.at(have.indexOf(args[0] ?? "") + 1), "", "the last line of [Container]");
});

/** A value for every field of a container, to check each one reaches the unit or is refused. */
const SAMPLE: { [K in keyof Required<ContainerSpec>]: ContainerSpec[K] } = {
  name: "devaipod-w-x",
  image: "localhost/img",
  pod: "devaipod-w",
  labels: { a: "b" },
  env: { A: "b" },
  user: "1000",
  workdir: "/w",
  hostname: "h",
  entrypoint: ["/bin/sh"],
  command: ["true"],
  init: true,
  capDrop: ["ALL"],
  capAdd: ["CHOWN"],
  securityOpt: ["no-new-privileges"],
  privileged: true,
  devices: ["/dev/fuse"],
  gpus: { devices: ["example.test/gpu=all"], resources: ["example.test/gpu"] },
  readOnlyRootfs: true,
  mounts: [{ type: "tmpfs", target: "/t" }],
  secrets: [{ name: "s", type: "mount" }],
  healthCheck: { command: ["true"] },
  addHosts: [{ host: "h", ip: "10.0.0.1" }],
  networks: ["n"],
  publish: ["127.0.0.1:1:1"],
  interactive: true,
  tty: true,
  stopTimeoutSeconds: 3,
  userns: "keep-id",
  extraArgs: ["--memory=1g"],
};

function renderOne(spec: ContainerSpec): string[] {
  const units = renderQuadlet({
    workspace: "w",
    pod: { name: "devaipod-w" },
    containers: [spec],
    networks: [],
    volumes: [],
    secrets: [{ name: "s" }],
  });
  return lines(units, `${spec.name}.container`);
}

Deno.test("render: every field of a container reaches its Quadlet key, or is refused", () => {
  assertEquals(Object.keys(SAMPLE).sort(), Object.keys(CONTAINER_FIELDS).sort());
  for (const field of Object.keys(CONTAINER_FIELDS) as (keyof ContainerSpec)[]) {
    const key = CONTAINER_FIELDS[field];
    const spec = {
      name: SAMPLE.name,
      image: SAMPLE.image,
      [field]: SAMPLE[field],
    } as ContainerSpec;
    if (key === null) {
      const err = assertThrows(() => renderOne(spec), QuadletRefusal);
      assertEquals([err.object, err.field], [SAMPLE.name, field]);
      continue;
    }
    const keys = key.split("|");
    const have = renderOne(spec);
    assert(
      have.some((l) => keys.some((k) => l.startsWith(`${k}=`))),
      `${field}: no ${key}= in\n${have.join("\n")}`,
    );
  }
});

Deno.test("render: every field of the pod and of a network reaches its key", () => {
  const units = renderQuadlet({
    workspace: "w",
    pod: {
      name: "devaipod-w",
      labels: { a: "b" },
      publish: ["127.0.0.1:1:1"],
      networks: ["devaipod-w-n:ip=10.87.0.3"],
      addHosts: [{ host: "h", ip: "10.87.0.2" }],
      hostname: "w",
      infraImage: "localhost/pause",
      userns: "keep-id",
    },
    containers: [],
    networks: [{
      name: "devaipod-w-n",
      labels: { a: "b" },
      internal: true,
      disableDns: true,
      subnet: "10.87.0.0/29",
    }],
    volumes: [],
    secrets: [],
  });
  assertEquals(lines(units, "devaipod-w.pod").filter((l) => /^[A-Z]\w*=/.test(l)), [
    "Description=devaipod workspace w: pod",
    "PodName=devaipod-w",
    "Network=devaipod-w-n.network:ip=10.87.0.3",
    "AddHost=h:10.87.0.2",
    "PublishPort=127.0.0.1:1:1",
    "UserNS=keep-id",
    "PodmanArgs=--hostname=w",
    "PodmanArgs=--infra-image=localhost/pause",
    "PodmanArgs=--label=a=b",
    "WantedBy=default.target",
  ]);
  for (const key of Object.values(POD_FIELDS)) {
    assert(lines(units, "devaipod-w.pod").some((l) => l.startsWith(`${key}=`)), key);
  }
  for (const key of Object.values(NETWORK_FIELDS)) {
    assert(lines(units, "devaipod-w-n.network").some((l) => l.startsWith(`${key}=`)), key);
  }
});

Deno.test("render: values reach podman as they are: quoted words, doubled % and $", () => {
  const have = renderOne({
    name: "devaipod-w-x",
    image: "localhost/img",
    env: { SPACE: "a b", QUOTE: 'say "hi"', DOLLAR: "$HOME", PCT: "50%", NL: "1\n2" },
    labels: { "io.devaipod.remote-env": '{"A":"b c"}' },
    workdir: "/workspaces/my project",
    command: ["sh", "-c", 'echo "$1" 100%', "x y"],
  });
  for (
    const line of [
      'Environment="DOLLAR=$$HOME"',
      'Environment="NL=1\\n2"',
      'Environment="PCT=50%%"',
      'Environment="QUOTE=say \\"hi\\""',
      'Environment="SPACE=a b"',
      'Label="io.devaipod.remote-env={\\"A\\":\\"b c\\"}"',
      "WorkingDir=/workspaces/my project",
      'Exec=sh -c "echo \\"$$1\\" 100%%" "x y"',
    ]
  ) assert(have.includes(line), `${line} not in\n${have.join("\n")}`);
});

Deno.test("render: what Quadlet cannot express is refused, never dropped", () => {
  const base: ContainerSpec = { name: "devaipod-w-x", image: "localhost/img" };
  const refused: [string, ContainerSpec][] = [
    ["interactive", { ...base, interactive: true }],
    ["tty", { ...base, tty: true }],
    ["pod", { ...base, pod: "another-pod" }],
    ["networks", { ...base, pod: "devaipod-w", networks: ["n"] }],
    ["networks", { ...base, pod: "devaipod-w", publish: ["1:1"] }],
    ["mounts", { ...base, mounts: [{ type: "bind", source: "rel/path", target: "/t" }] }],
    ["mounts", { ...base, mounts: [{ type: "bind", source: "/a b", target: "/t" }] }],
    ["mounts", { ...base, mounts: [{ type: "volume", source: "v", target: "/a,b" }] }],
    ["mounts", { ...base, mounts: [{ type: "volume", source: "other.volume", target: "/t" }] }],
    ["secrets", { ...base, secrets: [{ name: "undeclared", type: "mount" }] }],
    ["command", { ...base, command: ["a", ";", "b"] }],
    ["command", { ...base, command: ["a", "", "b"] }],
    ["extraArgs", { ...base, extraArgs: ["--label", ""] }],
    ["user", { ...base, user: "a b" }],
    ["image", { ...base, image: "my.image" }],
    ["devices", { ...base, devices: ["-/dev/fuse"] }],
    ["stopTimeoutSeconds", { ...base, stopTimeoutSeconds: 1.5 }],
    ["networks", { ...base, networks: ["x.network"] }],
    ["name", { ...base, name: "bad name" }],
  ];
  for (const [field, spec] of refused) {
    const err = assertThrows(() => renderOne(spec), QuadletRefusal);
    assertEquals(err.field, field, err.message);
    assertEquals(err.exitCode, 1);
  }
  assertThrows(
    () =>
      renderQuadlet({
        workspace: "w",
        pod: { name: "devaipod-w" },
        containers: [],
        networks: [{ name: "devaipod-w-n", internal: true }],
        volumes: [],
        secrets: [],
      }),
    /subnet: the peers' static addresses need a subnet/,
  );
});

Deno.test("render() is deterministic: the same input, in any order, gives the same bytes", async () => {
  const { input, units } = renderProject(await resolvedFrom("ports"));
  assertEquals(renderQuadlet(input), units);
  const shuffled: QuadletInput = {
    ...input,
    containers: [...input.containers].reverse(),
    networks: [...input.networks].reverse(),
    volumes: [...input.volumes].reverse(),
    secrets: [...input.secrets].reverse(),
  };
  assertEquals(renderQuadlet(shuffled), units);
  assertEquals(secretCommands(shuffled.secrets), secretCommands(input.secrets));
  assertEquals(renderProject(await resolvedFrom("ports")).units, units);
});

Deno.test("render() omits secret values: keys and workspace secrets are referenced by name", async () => {
  const { input, units } = renderProject(await resolvedFrom("secrets"), {
    user: { trusted: { env: { NPM_TOKEN: "npm_FAKE_TRUSTED_VALUE" }, secrets: ["X=my-x"] } },
  });
  const commands = secretCommands(input.secrets);
  const everything = JSON.stringify({ units, commands, input });
  for (const value of [FAKE_KEY, FAKE_TOKEN, "npm_FAKE_TRUSTED_VALUE", "<redacted>"]) {
    assert(!everything.includes(value), `${value} leaked`);
  }
  assertEquals(commands.map((c) => [c.name, c.source, c.env]), [
    ["devaipod-secrets-ab12-anthropic-api-key", "env", "ANTHROPIC_API_KEY"],
    ["devaipod-secrets-ab12-opencode-server-password", "random", undefined],
    ["devaipod-secrets-ab12-ws-ANTHROPIC_API_KEY", "env", "ANTHROPIC_API_KEY"],
    ["devaipod-secrets-ab12-ws-GH_TOKEN", "env", "GH_TOKEN"],
    ["devaipod-secrets-ab12-ws-NPM_TOKEN", "env", "NPM_TOKEN"],
    ["my-x", "existing", undefined],
  ]);
  const workspace = lines(units, "devaipod-secrets-ab12-workspace.container");
  assert(workspace.includes(
    "Secret=devaipod-secrets-ab12-ws-NPM_TOKEN,type=mount," +
      "target=/run/secrets/devaipod-workspace-env/NPM_TOKEN,mode=0444",
  ));
  assert(!workspace.some((l) => l.startsWith("Environment=NPM_TOKEN")));
  const agent = lines(units, "devaipod-secrets-ab12-agent.container");
  assert(
    !agent.some((l) => l.includes("GH_TOKEN") || l.includes("NPM_TOKEN") || l.includes("my-x")),
  );
});

/** Sample projects of tests/fixtures whose units are kept in tests/fixtures/quadlet/. */
const GOLDEN: { sample: string; extra?: Partial<RenderPlanParts> }[] = [
  { sample: "ports" },
  { sample: "secrets" },
  { sample: "security-and-run" },
  { sample: "mounts-both-forms", extra: { networkIsolation: false } },
];
const UPDATE = Deno.env.get("DEVAIPOD_UPDATE_GOLDEN") === "1";

for (const { sample, extra } of GOLDEN) {
  Deno.test(`render: ${sample} gives the units kept in tests/fixtures/quadlet/${sample}`, async () => {
    const { input, units } = renderProject(await resolvedFrom(sample), extra);
    const files = [
      ...units,
      {
        file: "secrets.sh",
        text: secretCommands(input.secrets).map((c) => `${c.command}\n`).join(""),
      },
    ];
    const dir = new URL(`quadlet/${sample}/`, FIXTURES);
    if (UPDATE) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.mkdir(dir, { recursive: true });
      for (const f of files) await Deno.writeTextFile(new URL(f.file, dir), f.text);
    }
    const kept: string[] = [];
    for await (const e of Deno.readDir(dir)) kept.push(e.name);
    assertEquals(
      kept.sort(),
      files.map((f) => f.file).sort(),
      "set DEVAIPOD_UPDATE_GOLDEN=1 to update",
    );
    for (const f of files) {
      assertEquals(f.text, await Deno.readTextFile(new URL(f.file, dir)), f.file);
    }
  });
}
