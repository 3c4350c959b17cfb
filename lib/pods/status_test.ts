import { assertEquals } from "../../tests/support/assert.ts";
import { fakePodman } from "../../tests/support/fake_podman.ts";
import {
  containerRow,
  networkRow,
  podRow,
  secretRow,
  volumeRow,
} from "../../tests/support/pod_rows.ts";
import { workspaceStatus } from "./status.ts";

Deno.test("workspaceStatus: a stopped isolated workspace: its labels, containers, volumes, egress counts; no health probe", async () => {
  const made = podRow("web", "Exited");
  const pod = {
    ...made,
    Labels: {
      ...made.Labels,
      "io.devaipod.project": "/p",
      "io.devaipod.image": "img",
      "io.devaipod.ports": "3000,8080",
    },
  };
  const record = (id: string, event: string, decision: string, host: string) => ({
    time: "2024-01-01T00:00:00Z",
    id,
    event,
    client: "10.0.0.2",
    method: "CONNECT",
    host,
    port: 443,
    decision,
    status: decision === "allow" ? 200 : 403,
    reason: decision === "allow" ? "allowed" : "not in the allowlist",
  });
  const log = [
    record("1", "open", "allow", "a.test"),
    record("2", "deny", "deny", "b.test"),
    record("3", "open", "allow", "c.test"),
    record("3", "close", "allow", "c.test"),
  ].map((r) => JSON.stringify(r)).join("\n");
  const { podman, runner } = fakePodman({
    pods: [pod],
    containers: [
      containerRow("web", "workspace", { state: "exited" }),
      containerRow("web", "agent", { pod: false, state: "exited" }),
      containerRow("web", "proxy", { pod: false, state: "exited" }),
      containerRow("web", "gator", { pod: false, state: "exited" }),
    ],
    volumes: [volumeRow("web", "devaipod-web-workspace", "workspace-volume")],
    secrets: [secretRow("web", "devaipod-web-token")],
    networks: [networkRow("web", "devaipod-web-internal", true)],
  }, (args) => args[1] === "logs" ? { stdout: log } : undefined);
  const state = await Deno.makeTempDir();
  await Deno.mkdir(`${state}/workspaces/web`, { recursive: true });
  await Deno.writeTextFile(
    `${state}/workspaces/web/gator-scopes`,
    "# a comment\ngithub:octo/demo=read,create-draft\n",
  );
  const status = await workspaceStatus(podman, pod, state);
  await Deno.remove(state, { recursive: true });
  assertEquals(
    { ...status, agent: { ...status.agent, work: status.agent.work.clone } },
    {
      name: "web",
      pod: "devaipod-web",
      state: "exited",
      project: "/p",
      projects: [],
      source: null,
      image: "img",
      task: null,
      created: null,
      isolated: true,
      ports: [{ host: "127.0.0.1:3000", container: 3000 }, {
        host: "127.0.0.1:8080",
        container: 8080,
      }],
      egress: { allowed: 2, denied: 1, open: 1 },
      gator: { scopes: ["github:octo/demo=read,create-draft"] },
      containers: {
        workspace: { name: "devaipod-web-workspace", state: "exited", status: null },
        agent: { name: "devaipod-web-agent", state: "exited", status: null },
        proxy: { name: "devaipod-web-proxy", state: "exited", status: null },
        gator: { name: "devaipod-web-gator", state: "exited", status: null },
      },
      agent: {
        profile: "opencode",
        task: null,
        healthy: false,
        health: "stopped",
        url: null,
        work: "stopped",
      },
      volumes: [{ name: "devaipod-web-workspace", role: "workspace-volume" }],
      secrets: 1,
    },
  );
  assertEquals(runner.calls.filter((c) => c.args[0] === "healthcheck" || c.args[1] === "exec"), []);
  assertEquals(runner.calls.filter((c) => c.args[1] === "logs").map((c) => c.args), [
    ["container", "logs", "c-proxy"],
  ]);
});
