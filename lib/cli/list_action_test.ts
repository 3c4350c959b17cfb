import { assertEquals } from "../../tests/support/assert.ts";
import type { ContainerListEntry } from "../podman/schemas.ts";
import { listRows } from "./list_action.ts";

const c = (
  ws: string,
  role: string,
  state: string,
  extra: Partial<ContainerListEntry> = {},
): ContainerListEntry => ({
  Id: `${ws}-${role}`,
  Names: [`${ws}-${role}`],
  Image: "img",
  State: state,
  ...extra,
  Labels: { "io.devaipod.workspace": ws, "io.devaipod.role": role, ...extra.Labels },
});

Deno.test("list: one row per workspace from its containers; state, health and labels", () => {
  const rows = listRows([
    c("b", "pod", "running", {
      IsInfra: true,
      Created: 1_700_000_000,
      Labels: { "io.devaipod.project": "/p", "io.devaipod.task": "t" },
    }),
    c("b", "workspace", "running"),
    c("b", "agent", "running", { Status: "Up 5 minutes (healthy)" }),
    c("a", "pod", "running", { IsInfra: true }),
    c("a", "workspace", "exited"),
    c("a", "agent", "running", { Status: "Up 1 minute (starting)" }),
    c("c", "pod", "exited", { IsInfra: true }),
    c("c", "agent", "exited"),
    c("d", "workspace", "running"),
  ]);
  assertEquals(rows.map((r) => [r.name, r.state, r.agent.state, r.agent.health]), [
    ["a", "degraded", "running", "starting"],
    ["b", "running", "running", "healthy"],
    ["c", "exited", "exited", "-"],
    ["d", "incomplete", "missing", "-"],
  ]);
  assertEquals(rows[1], {
    name: "b",
    pod: "devaipod-b",
    state: "running",
    agent: { state: "running", health: "healthy" },
    project: "/p",
    task: "t",
    image: null,
    created: "2023-11-14T22:13:20.000Z",
    backend: "podman",
  });
});

Deno.test("list: Quadlet workspaces are named so; a stopped one (units, no containers) is a stopped row", () => {
  const rows = listRows([
    c("b", "pod", "running", { IsInfra: true }),
    c("b", "agent", "running"),
    c("p", "pod", "running", { IsInfra: true }),
  ], ["b", "s"]);
  assertEquals(rows.map((r) => [r.name, r.state, r.backend, r.agent.state]), [
    ["b", "running", "quadlet", "running"],
    ["p", "running", "podman", "missing"],
    ["s", "stopped", "quadlet", "missing"],
  ]);
});
