import { assertEquals } from "../../tests/support/assert.ts";
import { podState, readiness, workspaceState } from "./pod_state.ts";
import type { KubePod, PodState } from "./pod_state.ts";

type Status = NonNullable<KubePod["status"]>;
type ContainerStatus = NonNullable<Status["containerStatuses"]>[number];

/** A Pod as the API server lists it: `role` labelled, on `node` when scheduled. */
function pod(
  role: string,
  status: Status | undefined,
  extra: { node?: string; deletionTimestamp?: string } = {},
): KubePod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `devaipod-demo-${role}`,
      namespace: "dev",
      labels: { "io.devaipod.role": role, "io.devaipod.workspace": "demo" },
      ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}),
    },
    spec: {
      containers: [{ name: role, image: "localhost/img" }],
      ...(extra.node ? { nodeName: extra.node } : {}),
    },
    ...(status ? { status } : {}),
  };
}

const SCHEDULED = { type: "PodScheduled", status: "True" };
const READY = { type: "Ready", status: "True" };
const NOT_READY = { type: "Ready", status: "False", reason: "ContainersNotReady" };

function waiting(reason: string, message?: string): ContainerStatus {
  return {
    name: "main",
    ready: false,
    restartCount: 0,
    state: { waiting: { reason, ...(message ? { message } : {}) } },
  };
}

const running: ContainerStatus = {
  name: "main",
  ready: false,
  state: { running: { startedAt: "2025-01-01T00:00:00Z" } },
};

/** A scheduled, Running, Ready Pod. */
function readyPod(role: string): KubePod {
  return pod(role, {
    phase: "Running",
    conditions: [SCHEDULED, READY],
    containerStatuses: [{ ...running, ready: true }],
  }, { node: "node-1" });
}

/** A scheduled Pod whose container waits for `reason`. */
function waitingPod(role: string, reason: string, message?: string): KubePod {
  return pod(role, {
    phase: "Pending",
    conditions: [SCHEDULED, NOT_READY],
    containerStatuses: [waiting(reason, message)],
  }, { node: "node-1" });
}

Deno.test("podState() tells each stage of a Pod's life apart, and which failures are final", () => {
  const cases: { name: string; pod: KubePod; expected: Omit<PodState, "name" | "role"> }[] = [
    {
      name: "no status yet",
      pod: pod("agent", undefined),
      expected: { ready: false, text: "not scheduled yet (no scheduler has taken it)" },
    },
    {
      name: "pending, no conditions",
      pod: pod("agent", { phase: "Pending" }),
      expected: { ready: false, text: "not scheduled yet (no scheduler has taken it)" },
    },
    {
      name: "unschedulable",
      pod: pod("agent", {
        phase: "Pending",
        conditions: [{
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/1 nodes are available: 1 Insufficient cpu.",
        }],
      }),
      expected: {
        ready: false,
        text: "not scheduled: 0/1 nodes are available: 1 Insufficient cpu.",
      },
    },
    {
      name: "unschedulable, reason only",
      pod: pod("agent", {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }],
      }),
      expected: { ready: false, text: "not scheduled: Unschedulable" },
    },
    { name: "ready", pod: readyPod("agent"), expected: { ready: true, text: "ready" } },
    {
      name: "running, not ready",
      pod: pod("agent", {
        phase: "Running",
        conditions: [SCHEDULED, NOT_READY],
        containerStatuses: [running],
      }, { node: "node-1" }),
      expected: { ready: false, text: "running, not ready" },
    },
    {
      name: "creating its container",
      pod: waitingPod("agent", "ContainerCreating"),
      expected: { ready: false, text: "ContainerCreating" },
    },
    {
      name: "scheduled, pending, no container status",
      pod: pod("agent", { phase: "Pending", conditions: [SCHEDULED] }, { node: "node-1" }),
      expected: { ready: false, text: "pending" },
    },
    {
      name: "image pull error",
      pod: waitingPod("agent", "ErrImagePull", 'failed to pull image "localhost/img": not found'),
      expected: {
        ready: false,
        text: 'ErrImagePull: failed to pull image "localhost/img": not found',
        failure: 'ErrImagePull: failed to pull image "localhost/img": not found',
      },
    },
    {
      name: "image pull back-off",
      pod: waitingPod("agent", "ImagePullBackOff", 'Back-off pulling image "localhost/img"'),
      expected: {
        ready: false,
        text: 'ImagePullBackOff: Back-off pulling image "localhost/img"',
        failure: 'ImagePullBackOff: Back-off pulling image "localhost/img"',
      },
    },
    {
      name: "crash loop",
      pod: waitingPod("agent", "CrashLoopBackOff", "back-off 10s restarting failed container"),
      expected: {
        ready: false,
        text: "CrashLoopBackOff: back-off 10s restarting failed container",
        failure: "CrashLoopBackOff: back-off 10s restarting failed container",
      },
    },
    {
      name: "bad container config, no message",
      pod: waitingPod("agent", "CreateContainerConfigError"),
      expected: {
        ready: false,
        text: "CreateContainerConfigError",
        failure: "CreateContainerConfigError",
      },
    },
    {
      name: "image pull error before it is scheduled (fatal wins)",
      pod: pod("agent", { phase: "Pending", containerStatuses: [waiting("ErrImagePull")] }),
      expected: { ready: false, text: "ErrImagePull", failure: "ErrImagePull" },
    },
    {
      name: "failed with a message",
      pod: pod("agent", {
        phase: "Failed",
        reason: "Evicted",
        message: "The node was low on resource: memory.",
      }, { node: "node-1" }),
      expected: {
        ready: false,
        text: "The node was low on resource: memory.",
        failure: "The node was low on resource: memory.",
      },
    },
    {
      name: "failed without message or reason",
      pod: pod("agent", { phase: "Failed" }, { node: "node-1" }),
      expected: { ready: false, text: "phase Failed", failure: "phase Failed" },
    },
    {
      name: "terminating, even when ready",
      pod: {
        ...readyPod("agent"),
        metadata: { ...readyPod("agent").metadata, deletionTimestamp: "2025-01-01T00:00:00Z" },
      },
      expected: { ready: false, text: "terminating" },
    },
    {
      name: "terminating beats a crash loop",
      pod: pod("agent", { phase: "Running", containerStatuses: [waiting("CrashLoopBackOff")] }, {
        node: "node-1",
        deletionTimestamp: "2025-01-01T00:00:00Z",
      }),
      expected: { ready: false, text: "terminating" },
    },
  ];
  for (const c of cases) {
    assertEquals({ case: c.name, state: podState(c.pod) }, {
      case: c.name,
      state: { name: "devaipod-demo-agent", role: "agent", ...c.expected },
    });
  }
});

Deno.test("podState() names a Pod without a role label by its name", () => {
  const p = readyPod("agent");
  const unlabelled: KubePod = { ...p, metadata: { name: "stray", labels: {} } };
  assertEquals(podState(unlabelled), { name: "stray", role: "stray", ready: true, text: "ready" });
});

Deno.test("readiness() is ready only when every expected Pod is", () => {
  const pods = [readyPod("agent"), readyPod("workspace"), waitingPod("gator", "ContainerCreating")];
  assertEquals(readiness(pods, ["devaipod-demo-agent", "devaipod-demo-workspace"]), {
    kind: "ready",
  });
  assertEquals(readiness(pods, ["devaipod-demo-agent", "devaipod-demo-gator"]), {
    kind: "waiting",
    summary: "gator: ContainerCreating",
  });
});

Deno.test("readiness() fails as soon as one expected Pod failed for good, naming that Pod", () => {
  const pods = [
    waitingPod("agent", "ContainerCreating"),
    waitingPod("workspace", "ImagePullBackOff", 'Back-off pulling image "localhost/img"'),
    readyPod("gator"),
  ];
  assertEquals(
    readiness(pods, ["devaipod-demo-agent", "devaipod-demo-workspace", "devaipod-demo-gator"]),
    {
      kind: "failed",
      message: 'devaipod-demo-workspace: ImagePullBackOff: Back-off pulling image "localhost/img"',
    },
  );
});

Deno.test("readiness() ignores failed Pods that it does not expect", () => {
  const pods = [readyPod("agent"), waitingPod("old", "CrashLoopBackOff")];
  assertEquals(readiness(pods, ["devaipod-demo-agent"]), { kind: "ready" });
});

Deno.test("readiness() waits for expected Pods that are not created yet", () => {
  assertEquals(readiness([readyPod("agent")], ["devaipod-demo-agent", "devaipod-demo-workspace"]), {
    kind: "waiting",
    summary: "devaipod-demo-workspace: not created",
  });
});

Deno.test("readiness() summarises every Pod still coming, by role, joined with '; '", () => {
  const pods = [
    pod("agent", undefined),
    readyPod("gator"),
    pod("workspace", {
      phase: "Running",
      conditions: [SCHEDULED, NOT_READY],
      containerStatuses: [running],
    }, { node: "node-1" }),
  ];
  const expected = [
    "devaipod-demo-agent",
    "devaipod-demo-gator",
    "devaipod-demo-workspace",
    "devaipod-demo-proxy",
  ];
  assertEquals(readiness(pods, expected), {
    kind: "waiting",
    summary:
      "agent: not scheduled yet (no scheduler has taken it); workspace: running, not ready; " +
      "devaipod-demo-proxy: not created",
  });
});

Deno.test("workspaceState() is stopped without Pods, failed before anything else, running only when every Pod is ready", () => {
  const ready = podState(readyPod("agent"));
  const coming = podState(pod("workspace", undefined));
  const broken = podState(
    pod("proxy", { phase: "Pending", containerStatuses: [waiting("ErrImagePull", "denied")] }, {
      node: "node-1",
    }),
  );
  assertEquals(
    [[], [ready], [ready, coming], [ready, broken], [coming, broken]].map(workspaceState),
    ["stopped", "running", "starting", "failed", "failed"],
  );
});
