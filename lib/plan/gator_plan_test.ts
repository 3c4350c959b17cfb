import { assert, assertEquals } from "../../tests/support/assert.ts";
import { builtinProfile } from "../agents/profiles.ts";
import type { AgentProfile } from "../agents/profiles.ts";
import { parseScope } from "../gator/scopes.ts";
import { containerRun } from "../podman/container.ts";
import { addressBindings, networkAddresses, planPod } from "./pod_plan.ts";
import type { PlanInput } from "./pod_plan.ts";
import { type BindingValues, fill, placeholders } from "./bindings.ts";
import { GATOR_SECRET_ENV, GATOR_URL, type GatorInput } from "./gator_plan.ts";
import type { ContainerSpec } from "./spec.ts";

const TOKEN = "ghp_the-real-token-0123456789";
const SAMPLE: BindingValues = {
  "user.uid": "1000",
  "user.gid": "1000",
  ...addressBindings(networkAddresses("10.89.0.0/24", "10.89.1.0/24")),
};

const gator = (over: Partial<GatorInput> = {}): GatorInput => ({
  runtime: { kind: "bundle", deno: "/d/deno", bundle: "/c/gator.js", entry: "e", config: "c" },
  scopes: [parseScope("github:octo/demo=read", "t")],
  scopesFile: "/state/w/gator-scopes",
  endpoints: { jira: "https://jira.example.com" },
  tokens: { GH_TOKEN: { trusted: true }, JIRA_API_TOKEN: { userSecret: "my-jira" } },
  ...over,
});

function plan(extra: Partial<PlanInput> = {}, agent?: AgentProfile) {
  return planPod({
    workspace: "w",
    image: "localhost/img",
    projectPath: "/src/w",
    hostEnv: { GH_TOKEN: TOKEN },
    agentBinary: "/cache/agent",
    shimsDir: "/state/shims",
    imagePath: "/usr/bin:/bin",
    isolation: {
      egressNetwork: "podman",
      runtime: { kind: "deno", deno: "/d/deno", sources: "/src/devaipod" },
      allowFile: "/state/w/allow",
    },
    gator: gator(),
    ...(agent ? { agent } : {}),
    ...extra,
  });
}

/** The podman argv of a planned container, its bindings filled. */
function argv(spec: unknown): string[] {
  return [...containerRun(fill<ContainerSpec>(spec as ContainerSpec, SAMPLE)).argv];
}

Deno.test("plan: the gator runs hardened, with its tokens as files only it reads, reaching only its services", () => {
  const p = plan();
  const g = p.isolation?.gator?.container;
  assert(g, "a gator is planned");
  assertEquals([g.user, g.readOnlyRootfs, g.capDrop, g.securityOpt], [
    "65534:65534",
    true,
    ["ALL"],
    ["no-new-privileges"],
  ]);
  const a = argv(g);
  assert(a.includes("--network") && a.includes("devaipod-w-internal:ip=10.89.0.4"), a.join(" "));
  const entry = JSON.parse(a[a.indexOf("--entrypoint") + 1] ?? "[]") as string[];
  assertEquals(
    entry.find((x) => x.startsWith("--allow-net=")),
    "--allow-net=10.89.0.4:3130,api.github.com,jira.example.com",
  );
  assertEquals(g.secrets?.map((s) => [s.name, s.target, s.mode, s.uid]), [
    ["devaipod-w-gator-secret", "/run/devaipod-gator-secret", 0o400, 65534],
    ["devaipod-w-gator-gh-token", "/run/devaipod-gator/GH_TOKEN", 0o400, 65534],
    ["my-jira", "/run/devaipod-gator/JIRA_API_TOKEN", 0o400, 65534],
  ]);
  // The agent's clone, read-only, for pushes; nothing of the workspace's.
  assert(
    g.mounts?.some((m) =>
      m.type === "volume" && m.source === "devaipod-w-agent-work" && m.readonly === true
    ),
  );
  // The token is never in the plan: the secret is made from the environment when applying.
  assertEquals(JSON.stringify(placeholders(p)).includes(TOKEN), false);
  assertEquals(p.secrets.find((s) => s.variable === "GH_TOKEN")?.container, "gator");
});

Deno.test("plan: the agent gets the gator's name and secret, and opencode its MCP config; never a token", () => {
  const p = plan();
  const agent = p.agentContainer;
  assertEquals(agent.addHosts?.map((h) => h.host), ["proxy.devaipod", "gator.devaipod"]);
  const config = JSON.parse(agent.env?.OPENCODE_CONFIG_CONTENT as string);
  assertEquals(config.mcp.gator, {
    type: "remote",
    url: GATOR_URL,
    enabled: true,
    headers: { Authorization: `Bearer {env:${GATOR_SECRET_ENV}}` },
  });
  assert(
    agent.secrets?.some((s) => s.target === `/run/secrets/devaipod-env/${GATOR_SECRET_ENV}`),
  );
  assertEquals(JSON.stringify(agent).includes("GH_TOKEN"), false);
  assertEquals(p.workspaceContainer.secrets?.some((s) => String(s.name).includes("gator")), false);
});

Deno.test("plan: Claude Code and Codex are told about the gator in their own way", () => {
  const claude = plan({}, builtinProfile("claude")).agent;
  const i = claude.task?.indexOf("--mcp-config") ?? -1;
  assert(i > 0, JSON.stringify(claude.task));
  assertEquals(JSON.parse(claude.task?.[i + 1] ?? "{}").mcpServers.gator.headers, {
    Authorization: `Bearer \${${GATOR_SECRET_ENV}}`,
  });
  const env = plan({}, builtinProfile("claude")).agentContainer.env ?? {};
  assertEquals([env.MCP_CONNECTION_NONBLOCKING, env.ENABLE_TOOL_SEARCH], ["false", "false"]);
  const codex = plan({}, builtinProfile("codex")).agent;
  assert(codex.task?.includes(`mcp_servers.gator.url="${GATOR_URL}"`), JSON.stringify(codex.task));
  assert(codex.task?.includes(`mcp_servers.gator.bearer_token_env_var="${GATOR_SECRET_ENV}"`));
  // Without a gator, none of it.
  const plain = plan({ gator: undefined }, builtinProfile("claude"));
  assertEquals(plain.agent.task?.includes("--mcp-config"), false);
  assertEquals(plain.agentContainer.env?.ENABLE_TOOL_SEARCH, undefined);
  assertEquals(plain.isolation?.gator, undefined);
});

Deno.test("plan: without the proxy's isolation there is no gator", () => {
  const p = plan({ isolation: undefined });
  assertEquals(p.isolation, undefined);
  assertEquals(p.secrets.some((s) => s.name.includes("gator")), false);
  assertEquals(p.agentContainer.env?.OPENCODE_CONFIG_CONTENT, undefined);
});
