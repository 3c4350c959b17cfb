import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { resolvedSample } from "../../tests/support/resolved.ts";
import { renderPlanInput } from "../cli/render_action.ts";
import type { RenderPlanParts } from "../cli/render_action.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { ConfigError } from "../errors.ts";
import { planPod } from "../plan/pod_plan.ts";
import { contextNamespace, kubeSecretCommands, kubeYaml } from "./output.ts";
import { kubeName, KubeRefusal, renderKube, serviceHostVariable } from "./render.ts";
import type { KubeObject, KubeOptions, KubeRender } from "./render.ts";

const FAKE_KEY = "sk-ant-api03-FAKE-KUBE-KEY-MUST-NOT-APPEAR";
const FAKE_TOKEN = "ghp_FAKE_KUBE_TOKEN_MUST_NOT_APPEAR";
const HOST_ENV = { ANTHROPIC_API_KEY: FAKE_KEY, GH_TOKEN: FAKE_TOKEN };
const FIXTURES = new URL("../../tests/fixtures/", import.meta.url);
const USER = { uid: 1000, gid: 1000 };

const resolvedFrom = resolvedSample;

/** The objects of a project as `render --target kube` makes them, this machine's paths fixed. */
function render(
  resolved: ResolvedConfig,
  extra: Partial<RenderPlanParts> = {},
  namespace = "dev",
  runtimeImage?: KubeOptions["runtimeImage"],
): KubeRender {
  const sample = resolved.workspaceFolder.split("/").at(-1) ?? "x";
  const { input } = renderPlanInput({
    workspace: `${sample}-ab12`,
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
  return renderKube(planPod(input), {
    namespace,
    user: USER,
    ...(runtimeImage ? { runtimeImage } : {}),
  });
}

const MINIMAL = '{ "image": "localhost/devaipod-test/dev:latest", "forwardPorts": [3000] }';

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert(o, `no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`)}`);
  return o;
}

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("kube render: a Pod per container, a claim per volume, Services and NetworkPolicies, in a fixed order", async () => {
  const { objects } = render(await resolvedFrom("minimal", MINIMAL));
  assertEquals(objects.map((o) => `${o.kind}/${o.metadata.name}`), [
    "ConfigMap/devaipod-minimal-ab12-allow",
    "PersistentVolumeClaim/devaipod-minimal-ab12-work",
    "PersistentVolumeClaim/devaipod-minimal-ab12-agent-home",
    "PersistentVolumeClaim/devaipod-minimal-ab12-agent-work",
    "Service/devaipod-minimal-ab12-agent",
    "Service/devaipod-minimal-ab12-proxy",
    "NetworkPolicy/devaipod-minimal-ab12-agent",
    "NetworkPolicy/devaipod-minimal-ab12-proxy",
    "NetworkPolicy/devaipod-minimal-ab12-workspace",
    "Pod/devaipod-minimal-ab12-workspace",
    "Pod/devaipod-minimal-ab12-agent",
    "Pod/devaipod-minimal-ab12-proxy",
  ]);
  for (const o of objects) {
    assertEquals(o.metadata.namespace, "dev");
    assertEquals(o.metadata.labels?.["io.devaipod.workspace"], "minimal-ab12");
  }
  // Paths and other values a label cannot hold are annotations.
  const ws = find(objects, "Pod", "devaipod-minimal-ab12-workspace") as Any;
  assertEquals(ws.metadata.labels["io.devaipod.role"], "workspace");
});

Deno.test("kube render: every Pod is locked down: non-root, no capabilities, no escalation, seccomp, no token", async () => {
  const { objects } = render(await resolvedFrom("minimal", MINIMAL));
  for (const pod of objects.filter((o) => o.kind === "Pod") as Any[]) {
    const spec = pod.spec;
    assertEquals(spec.automountServiceAccountToken, false, pod.metadata.name);
    assertEquals(spec.securityContext.runAsNonRoot, true);
    assertEquals(spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
    for (const c of spec.containers) {
      assertEquals(c.securityContext.allowPrivilegeEscalation, false);
      assertEquals(c.securityContext.capabilities, { drop: ["ALL"] });
      assertEquals(c.securityContext.privileged, false);
      assertEquals(c.securityContext.runAsNonRoot, true);
      assert(c.securityContext.runAsUser > 0);
    }
  }
  const proxy = find(objects, "Pod", "devaipod-minimal-ab12-proxy") as Any;
  assertEquals(proxy.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
  assertEquals(proxy.spec.containers[0].securityContext.runAsUser, 65534);
  const agent = find(objects, "Pod", "devaipod-minimal-ab12-agent") as Any;
  assertEquals(agent.spec.containers[0].securityContext.runAsUser, 1000);
});

Deno.test("kube render: the agent sends only to the proxy's port and takes only its workspace; nothing reaches the workspace", async () => {
  const { objects } = render(await resolvedFrom("minimal", MINIMAL));
  const sel = (role: string) => ({
    matchLabels: { "io.devaipod.workspace": "minimal-ab12", "io.devaipod.role": role },
  });
  const agent = find(objects, "NetworkPolicy", "devaipod-minimal-ab12-agent") as Any;
  assertEquals(agent.spec.podSelector, sel("agent"));
  assertEquals(agent.spec.policyTypes, ["Ingress", "Egress"]);
  // The proxy's CONNECT port, and its provider endpoints (the sample has an Anthropic key).
  assertEquals(agent.spec.egress, [{
    to: [{ podSelector: sel("proxy") }],
    ports: [{ protocol: "TCP", port: 3128 }, { protocol: "TCP", port: 3129 }],
  }]);
  assertEquals(agent.spec.ingress, [{
    from: [{ podSelector: sel("workspace") }],
    ports: [{ protocol: "TCP", port: 4096 }],
  }]);
  const ws = find(objects, "NetworkPolicy", "devaipod-minimal-ab12-workspace") as Any;
  assertEquals([ws.spec.policyTypes, ws.spec.ingress], [["Ingress"], []]);
  const proxy = find(objects, "NetworkPolicy", "devaipod-minimal-ab12-proxy") as Any;
  assertEquals(proxy.spec.ingress[0].from, [{ podSelector: sel("agent") }]);
  // Each Service selects its one Pod by the same labels.
  const svc = find(objects, "Service", "devaipod-minimal-ab12-proxy") as Any;
  assertEquals(svc.spec.selector, sel("proxy").matchLabels);
  const pod = find(objects, "Pod", "devaipod-minimal-ab12-proxy");
  for (const [k, v] of Object.entries(svc.spec.selector)) assertEquals(pod.metadata.labels?.[k], v);
});

Deno.test("kube render: the agent finds the proxy, and the workspace the agent, by the Services' variables: no DNS, no host aliases", async () => {
  const { objects } = render(await resolvedFrom("minimal", MINIMAL));
  const agent = find(objects, "Pod", "devaipod-minimal-ab12-agent") as Any;
  const env = Object.fromEntries(
    agent.spec.containers[0].env.map((e: Any) => [e.name, e.value]),
  );
  const proxyVar = serviceHostVariable("devaipod-minimal-ab12-proxy");
  assertEquals(proxyVar, "DEVAIPOD_MINIMAL_AB12_PROXY_SERVICE_HOST");
  assertEquals(env.HTTPS_PROXY, `http://$(${proxyVar}):3128`);
  assertEquals(env.https_proxy, `http://$(${proxyVar}):3128`);
  assertEquals(agent.spec.hostAliases, undefined);
  const ws = find(objects, "Pod", "devaipod-minimal-ab12-workspace") as Any;
  const wsEnv = Object.fromEntries(ws.spec.containers[0].env.map((e: Any) => [e.name, e.value]));
  assertEquals(
    wsEnv.DEVAIPOD_AGENT_URL,
    "http://$(DEVAIPOD_MINIMAL_AB12_AGENT_SERVICE_HOST):4096",
  );
  // The provider endpoints, the key's placeholder and opencode's config by the same variable.
  assertEquals(env.ANTHROPIC_BASE_URL, `http://$(${proxyVar}):3129/anthropic`);
  assertEquals(env.ANTHROPIC_API_KEY, "devaipod-key-held-by-the-proxy");
  assertEquals(env.NO_PROXY, `localhost,127.0.0.1,$(${proxyVar})`);
  assertEquals(
    JSON.parse(env.OPENCODE_CONFIG_CONTENT).provider.anthropic.options.baseURL,
    `http://$(${proxyVar}):3129/anthropic/v1`,
  );
  // The proxy listens on every address (its policy admits the agent only), with the allowlist,
  // and serves the endpoints with the key it alone holds.
  const proxy = find(objects, "Pod", "devaipod-minimal-ab12-proxy") as Any;
  assertEquals(proxy.spec.containers[0].command, [
    "/opt/devaipod/bin/devaipod",
    "proxy",
    "--listen",
    "0.0.0.0:3128",
    "--allow-file",
    "/opt/devaipod/allow",
    "--providers-listen",
    "0.0.0.0:3129",
    "--provider",
    "anthropic=/run/devaipod-keys/ANTHROPIC_API_KEY",
  ]);
  const allow = find(objects, "ConfigMap", "devaipod-minimal-ab12-allow") as Any;
  assert(allow.data.allow.includes("\napi.anthropic.com\n"), allow.data.allow);
});

Deno.test("kube render: secrets are referenced by name (key value), never carried; their commands read values on stdin", async () => {
  const r = render(await resolvedFrom("secrets"));
  const yaml = kubeYaml(r.objects);
  for (const value of [FAKE_KEY, FAKE_TOKEN]) assertEquals(yaml.includes(value), false);
  const agent = find(r.objects, "Pod", "devaipod-secrets-ab12-agent") as Any;
  // One secret volume per file, mounted by subPath where podman mounts the file. The agent has
  // its password; the Anthropic key is the proxy's.
  const secretFiles = (pod: Any) => {
    const volumes = pod.spec.volumes.filter((v: Any) => v.secret);
    const mounts = pod.spec.containers[0].volumeMounts.filter((m: Any) =>
      volumes.some((v: Any) => v.name === m.name)
    );
    return {
      volumes,
      files: volumes.map((v: Any, i: number) => [
        v.secret.secretName,
        v.secret.items[0].key,
        v.secret.items[0].path,
        mounts[i].mountPath,
        mounts[i].subPath,
        mounts[i].readOnly,
      ]),
    };
  };
  const secretVolumes = secretFiles(agent).volumes;
  assertEquals(secretFiles(agent).files, [[
    "devaipod-secrets-ab12-opencode-server-password",
    "value",
    "OPENCODE_SERVER_PASSWORD",
    "/run/secrets/devaipod-env/OPENCODE_SERVER_PASSWORD",
    "OPENCODE_SERVER_PASSWORD",
    true,
  ]]);
  const proxyPod = find(r.objects, "Pod", "devaipod-secrets-ab12-proxy") as Any;
  assertEquals(secretFiles(proxyPod).files, [[
    "devaipod-secrets-ab12-anthropic-api-key",
    "value",
    "ANTHROPIC_API_KEY",
    "/run/devaipod-keys/ANTHROPIC_API_KEY",
    "ANTHROPIC_API_KEY",
    true,
  ]]);
  // 0400 for uid 1000 becomes group-readable: files are root's, in the Pod's fsGroup.
  assertEquals(secretVolumes[0].secret.items[0].mode, 0o440);
  const commands = kubeSecretCommands("dev", r.secrets);
  for (const c of commands) {
    assertEquals(c.command.includes(FAKE_KEY) || c.command.includes(FAKE_TOKEN), false);
  }
  const key = commands.find((c) => c.name === "devaipod-secrets-ab12-anthropic-api-key");
  assertEquals(
    key?.command,
    'printf %s "${ANTHROPIC_API_KEY:?}" | kubectl --namespace dev create secret generic devaipod-secrets-ab12-anthropic-api-key --from-file=value=/dev/stdin',
  );
  // Workspace secrets' podman names (upper case) fold to Kubernetes names.
  assert(
    r.secrets.some((s) => s.name === "devaipod-secrets-ab12-ws-gh-token"),
    r.secrets.map((s) => s.name).join(),
  );
});

Deno.test("kube render: what Kubernetes cannot say safely is refused, never dropped", async () => {
  const security = await resolvedFrom("security-and-run");
  const err = assertThrows(() => render(security), KubeRefusal);
  assert(/capAdd|runArgs|devices/.test(err.message), err.message);
  assertEquals(err.exitCode, 1);
  for (
    const [config, field] of [
      ['{ "image": "x", "privileged": true }', "privileged"],
      ['{ "image": "x", "runArgs": ["--cpus=2"] }', "runArgs"],
      ['{ "image": "x", "capAdd": ["NET_ADMIN"] }', "capAdd"],
    ]
  ) {
    const resolved = await resolvedFrom("refused", config);
    const e = assertThrows(() => render(resolved), KubeRefusal);
    assert(e.message.includes(field as string), e.message);
  }
});

Deno.test("kube render: `$(` in a value is written `$$(` so Kubernetes keeps it; the Service variables are expanded", async () => {
  const { objects } = render(
    await resolvedFrom(
      "dollar",
      '{ "image": "x", "containerEnv": { "A": "$(date) and $(HOME)" }, "overrideCommand": false }',
    ),
  );
  const ws = find(objects, "Pod", "devaipod-dollar-ab12-workspace") as Any;
  const env = Object.fromEntries(ws.spec.containers[0].env.map((e: Any) => [e.name, e.value]));
  assertEquals(env.A, "$$(date) and $$(HOME)");
  assertEquals(env.DEVAIPOD_AGENT_URL.startsWith("http://$(DEVAIPOD_"), true);
});

Deno.test("kube render: with a runtime image, each Pod copies what it mounts of devaipod's from it in an init container; nothing comes from the node", async () => {
  const resolved = await resolvedFrom("minimal", MINIMAL);
  const ref = "registry.example.com/team/devaipod-runtime@sha256:" + "ab".repeat(32);
  const out = render(resolved, {}, "dev", { ref, program: "binary" });
  assertEquals(out.hostPaths, []);
  assert(
    render(resolved).hostPaths.includes("/usr/local/bin/devaipod"),
    "the default mounts the node's",
  );
  const pods = out.objects.filter((o) => o.kind === "Pod") as Any[];
  assertEquals(pods.length, 3);
  for (const pod of pods) {
    const [init] = pod.spec.initContainers;
    const main = pod.spec.containers[0];
    const mounts = main.volumeMounts;
    // The copy fills /opt/devaipod, read-only, before anything mounted inside it.
    const role = pod.metadata.labels["io.devaipod.role"];
    assertEquals(mounts[0], {
      name: `${role}-runtime`,
      mountPath: "/opt/devaipod",
      readOnly: true,
    });
    assertEquals(init.command.slice(0, 4), [
      "/opt/devaipod/bin/devaipod",
      "copy-runtime",
      "/opt/devaipod",
      "/runtime",
    ]);
    const inside = mounts.slice(1).filter((m: Any) => m.mountPath.startsWith("/opt/devaipod/"));
    for (const m of inside) assert(init.command.includes(m.mountPath.slice(14)), m.mountPath);
    assertEquals(init.image, ref);
    assertEquals(init.securityContext.capabilities, { drop: ["ALL"] });
    assertEquals(init.securityContext.readOnlyRootFilesystem, true);
    assertEquals(init.securityContext.allowPrivilegeEscalation, false);
    assertEquals(init.securityContext.runAsUser, pod.spec.securityContext.runAsUser);
    assert(
      pod.spec.volumes.some((v: Any) => v.name === `${role}-runtime` && v.emptyDir),
      pod.metadata.name,
    );
    assert(!pod.spec.volumes.some((v: Any) => v.hostPath), pod.metadata.name);
  }
  // Each Pod copies what its container ran from the node's files, and no more.
  const copied = (role: string) =>
    pods.find((p) => p.metadata.name.endsWith(`-${role}`)).spec.initContainers[0].command.slice(4);
  assertEquals(copied("workspace"), ["bin/opencode", "shims", "bin/devaipod"]);
  assertEquals(copied("agent"), ["bin/opencode"]);
  // The proxy's allowlist lands on the image's empty file of its name.
  assertEquals(copied("proxy"), ["bin/devaipod", "allow"]);
});

Deno.test("kube render: a runtime image of Deno copies with the Deno and devaipod's copy program, read and write scoped", async () => {
  const ref = "127.0.0.1:5000/devaipod-runtime:0.1.0-0123456789abcdef";
  const out = render(
    await resolvedFrom("minimal", MINIMAL),
    {
      runtime: { kind: "deno", deno: "/usr/bin/deno", sources: "/home/dev/devaipod" },
    },
    "dev",
    { ref, program: "deno" },
  );
  const proxy = out.objects.find((o) =>
    o.kind === "Pod" && o.metadata.name.endsWith("-proxy")
  ) as Any;
  assertEquals(proxy.spec.initContainers[0].command, [
    "/opt/devaipod/bin/deno",
    "run",
    "--quiet",
    "--no-config",
    "--no-lock",
    "--allow-read=/opt/devaipod",
    "--allow-write=/runtime",
    "/opt/devaipod/src/lib/kube/copy_runtime.ts",
    "/opt/devaipod",
    "/runtime",
    "bin/deno",
    "src",
    "allow",
  ]);
  assertEquals(out.hostPaths, []);
});

Deno.test("kube render: a GPU for the agent is a request of its extended resource, never a host device", async () => {
  const out = render(await resolvedFrom("minimal", MINIMAL), {
    gpu: {
      devices: ["nvidia.com/gpu=all"],
      resources: ["nvidia.com/gpu"],
      targets: ["agent"],
      note: "",
    },
  });
  const container = (role: string) =>
    (find(out.objects, "Pod", `devaipod-minimal-ab12-${role}`) as Any).spec.containers[0];
  assertEquals(container("agent").resources, { limits: { "nvidia.com/gpu": "1" } });
  assertEquals(container("workspace").resources, undefined);
  assertEquals(JSON.stringify(out.objects).includes("nvidia.com/gpu=all"), false);
});

Deno.test("kube render: the same input gives the same bytes; the namespace is checked", async () => {
  const resolved = await resolvedFrom("ports");
  assertEquals(kubeYaml(render(resolved).objects), kubeYaml(render(resolved).objects));
  assertThrows(() => render(resolved, {}, "Not_A_Namespace"), KubeRefusal);
  assertEquals(kubeName("devaipod-w-ws-GH_TOKEN"), "devaipod-w-ws-gh-token");
});

Deno.test("kubeconfig: the namespace of the current context, or of --context; a bad file names itself", () => {
  const text = `
apiVersion: v1
kind: Config
current-context: a
contexts:
  - name: a
    context: { cluster: c, user: u, namespace: team-a }
  - name: b
    context: { cluster: c, user: u }
`;
  assertEquals(contextNamespace(text, "/k"), "team-a");
  assertEquals(contextNamespace(text, "/k", "b"), undefined);
  assertEquals(
    assertThrows(() => contextNamespace(text, "/k", "zzz"), ConfigError).message,
    "/k: no context named 'zzz'",
  );
  assert(
    assertThrows(() => contextNamespace("a: [", "/k"), ConfigError).message.startsWith(
      "/k: not a kubeconfig",
    ),
  );
});

/** Sample projects whose objects are kept in tests/fixtures/kube/. */
const GOLDEN: { sample: string; extra?: Partial<RenderPlanParts> }[] = [
  { sample: "ports" },
  { sample: "secrets" },
  { sample: "mounts-both-forms", extra: { networkIsolation: false } },
];
const UPDATE = Deno.env.get("DEVAIPOD_UPDATE_GOLDEN") === "1";

for (const { sample, extra } of GOLDEN) {
  Deno.test(`kube render: ${sample} gives the objects kept in tests/fixtures/kube/${sample}.yaml`, async () => {
    const r = render(await resolvedFrom(sample), extra);
    const text = kubeYaml(r.objects) +
      kubeSecretCommands("dev", r.secrets).map((c) => `# ${c.command}\n`).join("");
    const file = new URL(`kube/${sample}.yaml`, FIXTURES);
    if (UPDATE) {
      await Deno.mkdir(new URL("kube/", FIXTURES), { recursive: true });
      await Deno.writeTextFile(file, text);
    }
    assertEquals(text, await Deno.readTextFile(file), "set DEVAIPOD_UPDATE_GOLDEN=1 to update");
  });
}
