import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { changes, fakePodman } from "../../tests/support/fake_podman.ts";
import type { FakeObjects } from "../../tests/support/fake_podman.ts";
import {
  containerRow,
  networkRow,
  podRow,
  secretRow,
  volumeRow,
} from "../../tests/support/pod_rows.ts";
import { InterruptedError, PodmanFailedError } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { labelledObjects, workspaceObjects } from "./inventory.ts";
import { removedAny, removeWorkspaceObjects } from "./remove.ts";

/** An isolated workspace `web`: pod, workspace in it, agent and proxy outside, and the rest. */
const WEB: FakeObjects = {
  pods: [podRow("web", "Exited")],
  containers: [
    containerRow("web", "workspace"),
    containerRow("web", "agent", { pod: false }),
    containerRow("web", "proxy", { pod: false }),
  ],
  volumes: [
    volumeRow("web", "devaipod-web-workspace", "workspace-volume"),
    volumeRow("web", "devaipod-web-agent-home", "agent-home"),
  ],
  secrets: [secretRow("web", "devaipod-web-token")],
  networks: [
    networkRow("web", "devaipod-web-internal", true),
    networkRow("web", "devaipod-web-link", true),
  ],
};

/** The removals of {@link WEB} up to the volumes, in their order. */
const WEB_REMOVALS = [
  ["pod", "rm", "--force", "--time", "0", "devaipod-web"],
  ["container", "rm", "--force", "--time", "0", "c-agent", "c-proxy"],
  ["secret", "rm", "devaipod-web-token"],
  ["network", "rm", "--force", "devaipod-web-internal", "devaipod-web-link"],
];

Deno.test("removeWorkspaceObjects: pod, the containers outside it, secrets, networks; volumes stay", async () => {
  const { podman, runner } = fakePodman(WEB);
  const found = await workspaceObjects(podman, "web");
  runner.calls.length = 0;
  const removed = await removeWorkspaceObjects(podman, found, { volumes: false });
  assertEquals(runner.calls.map((c) => c.args), WEB_REMOVALS);
  assertEquals(removed, {
    pods: ["devaipod-web"],
    containers: ["c-agent", "c-proxy"],
    secrets: ["devaipod-web-token"],
    networks: ["devaipod-web-internal", "devaipod-web-link"],
    volumes: [],
    keptVolumes: ["devaipod-web-workspace", "devaipod-web-agent-home"],
  });
});

Deno.test("removeWorkspaceObjects: volumes go last, and only when asked", async () => {
  const { podman, runner } = fakePodman(WEB);
  const found = await workspaceObjects(podman, "web");
  runner.calls.length = 0;
  const removed = await removeWorkspaceObjects(podman, found, { volumes: true });
  assertEquals(runner.calls.map((c) => c.args), [
    ...WEB_REMOVALS,
    ["volume", "rm", "--force", "devaipod-web-workspace", "devaipod-web-agent-home"],
  ]);
  assertEquals([removed.volumes.length, removed.keptVolumes], [2, []]);
});

Deno.test("removeWorkspaceObjects: the leftovers of an unfinished up (no pod) are removed without their volumes", async () => {
  const leftovers: FakeObjects = {
    containers: [containerRow("web", "proxy", { pod: false, state: "created" })],
    volumes: [volumeRow("web", "devaipod-web-workspace", "workspace-volume")],
    secrets: [secretRow("web", "devaipod-web-token")],
    networks: [networkRow("web", "devaipod-web-internal", true)],
  };
  const { podman, runner } = fakePodman(leftovers);
  const found = await workspaceObjects(podman, "web");
  runner.calls.length = 0;
  const removed = await removeWorkspaceObjects(podman, found, { volumes: false, cleanup: true });
  assertEquals(runner.calls.map((c) => c.args), [
    ["container", "rm", "--force", "--time", "0", "c-proxy"],
    ["secret", "rm", "devaipod-web-token"],
    ["network", "rm", "--force", "devaipod-web-internal"],
  ]);
  assertEquals([removedAny(removed), removed.keptVolumes], [true, ["devaipod-web-workspace"]]);
});

Deno.test("removeWorkspaceObjects: nothing found runs nothing and removed nothing", async () => {
  const { podman, runner } = fakePodman({});
  const removed = await removeWorkspaceObjects(
    podman,
    { pods: [], containers: [], volumes: [], secrets: [], networks: [] },
    { volumes: true },
  );
  assertEquals([runner.calls, removedAny(removed)], [[], false]);
});

Deno.test("removeWorkspaceObjects: without onError the first failure throws and nothing after it runs", async () => {
  const { podman, runner } = fakePodman(
    WEB,
    (args) =>
      args[0] === "secret" && args[1] === "rm" ? { code: 125, stderr: "in use" } : undefined,
  );
  const found = await workspaceObjects(podman, "web");
  runner.calls.length = 0;
  await assertRejects(
    () => removeWorkspaceObjects(podman, found, { volumes: true }),
    PodmanFailedError,
  );
  assertEquals(runner.calls.map((c) => c.args), WEB_REMOVALS.slice(0, 3));
});

Deno.test("removeWorkspaceObjects: with onError a failure is reported and the rest still goes", async () => {
  const { podman, runner } = fakePodman(
    WEB,
    (args) => args[0] === "pod" && args[1] === "rm" ? { code: 125, stderr: "busy" } : undefined,
  );
  const found = await workspaceObjects(podman, "web");
  runner.calls.length = 0;
  const failed: string[] = [];
  const removed = await removeWorkspaceObjects(podman, found, {
    volumes: false,
    onError: (what) => failed.push(what),
  });
  assertEquals(failed, ["pod devaipod-web"]);
  assertEquals(runner.calls.map((c) => c.args), WEB_REMOVALS);
  assertEquals(removed.pods, []);
  assertEquals(removed.networks, ["devaipod-web-internal", "devaipod-web-link"]);
});

Deno.test("removeWorkspaceObjects: after Ctrl-C only cleanup removes anything", async () => {
  const interrupt = new AbortController();
  interrupt.abort();
  const { runner } = fakePodman(WEB);
  const podman = new Podman(runner, { interrupt: interrupt.signal });
  const objects = {
    pods: WEB.pods ?? [],
    containers: [],
    volumes: [],
    secrets: [],
    networks: WEB.networks ?? [],
  };
  await assertRejects(
    () => removeWorkspaceObjects(podman, objects, { volumes: false }),
    InterruptedError,
  );
  assertEquals(runner.calls, []);
  await removeWorkspaceObjects(podman, objects, { volumes: false, cleanup: true });
  assertEquals(changes(runner), [WEB_REMOVALS[0], WEB_REMOVALS[3]]);
});

Deno.test("labelledObjects: an empty filter throws before podman lists anything", async () => {
  const { podman, runner } = fakePodman(WEB);
  await assertRejects(() => labelledObjects(podman, {}), /the filter is empty/);
  await assertRejects(() => workspaceObjects(podman, ""), /the value is empty/);
  assertEquals(runner.calls, []);
});
