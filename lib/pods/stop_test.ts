import { assertEquals } from "../../tests/support/assert.ts";
import { fakePodman } from "../../tests/support/fake_podman.ts";
import { containerRow, podRow } from "../../tests/support/pod_rows.ts";
import { stopWorkspace } from "./stop.ts";

Deno.test("stopWorkspace: behind the proxy the agent stops first, then the pod, then the proxy", async () => {
  const pod = podRow("web");
  const { podman, runner } = fakePodman({
    pods: [pod],
    containers: [
      containerRow("web", "proxy", { pod: false }),
      containerRow("web", "workspace"),
      containerRow("web", "agent", { pod: false }),
    ],
  });
  await stopWorkspace(podman, pod);
  assertEquals(runner.calls.map((c) => c.args), [
    ["container", "ps", "--all", "--format", "json", "--filter", "label=io.devaipod.workspace=web"],
    ["container", "stop", "--time", "5", "c-agent"],
    ["pod", "stop", "--time", "5", "devaipod-web"],
    ["container", "stop", "--time", "5", "c-proxy"],
  ]);
});

Deno.test("stopWorkspace: without the proxy only the pod stops (the agent is a member)", async () => {
  const pod = podRow("web");
  const { podman, runner } = fakePodman({
    pods: [pod],
    containers: [containerRow("web", "workspace"), containerRow("web", "agent")],
  });
  await stopWorkspace(podman, pod);
  assertEquals(runner.calls.slice(1).map((c) => c.args), [
    ["pod", "stop", "--time", "5", "devaipod-web"],
  ]);
});

Deno.test("stopWorkspace: containers outside the pod that are not running are left alone", async () => {
  const pod = podRow("web", "Exited");
  const { podman, runner } = fakePodman({
    pods: [pod],
    containers: [
      containerRow("web", "workspace", { state: "exited" }),
      containerRow("web", "agent", { pod: false, state: "exited" }),
      containerRow("web", "proxy", { pod: false }),
    ],
  });
  await stopWorkspace(podman, pod);
  assertEquals(runner.calls.slice(1).map((c) => c.args), [
    ["pod", "stop", "--time", "5", "devaipod-web"],
    ["container", "stop", "--time", "5", "c-proxy"],
  ]);
});
