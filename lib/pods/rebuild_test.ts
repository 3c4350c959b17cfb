import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { fakePodman } from "../../tests/support/fake_podman.ts";
import { containerRow, podRow } from "../../tests/support/pod_rows.ts";
import { FailedError } from "../errors.ts";
import { rebuildTarget } from "./rebuild.ts";
import { workspaceDirs } from "./state.ts";

Deno.test("rebuildTarget: an isolated workspace keeps its task, image, config file, agent, egress network and allowed hosts", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "devaipod-rebuild-state-" });
  const made = podRow("web");
  const pod = {
    ...made,
    Labels: {
      ...made.Labels,
      "io.devaipod.project": "/p",
      "io.devaipod.task": "fix it",
      "io.devaipod.image": "img",
      "io.devaipod.config-file": "/p/.devcontainer/devcontainer.json",
      "io.devaipod.egress-network": "outside",
      "io.devaipod.agent": "codex",
    },
  };
  const { podman, runner } = fakePodman({
    pods: [pod],
    containers: [
      containerRow("web", "workspace"),
      containerRow("web", "agent", { pod: false }),
      containerRow("web", "proxy", { pod: false }),
    ],
  });
  try {
    const allow = join(workspaceDirs(stateDir, "web").root, "allow");
    await Deno.mkdir(join(allow, ".."), { recursive: true });
    await Deno.writeTextFile(allow, "# added with allow\nexample.com\n");
    assertEquals(await rebuildTarget(podman, stateDir, pod), {
      workspace: "web",
      project: "/p",
      task: "fix it",
      image: "img",
      configFile: "/p/.devcontainer/devcontainer.json",
      agent: "codex",
      trustSource: false,
      projects: [],
      gator: false,
      isolation: { egressNetwork: "outside", allowed: ["example.com"] },
    });
    assertEquals(runner.calls.every((c) => !c.args.includes("rm")), true);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("rebuildTarget: a pod without its project folder cannot be rebuilt", async () => {
  const pod = podRow("web");
  const { podman } = fakePodman({ pods: [pod] });
  const err = await assertRejects(() => rebuildTarget(podman, "/nonexistent", pod), FailedError);
  assertEquals(err.message, "workspace web does not record its project folder");
});

Deno.test("rebuildTarget: a workspace with a gator keeps its scopes as they are now", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "devaipod-rebuild-state-" });
  const made = podRow("web");
  const pod = { ...made, Labels: { ...made.Labels, "io.devaipod.project": "/p" } };
  const { podman } = fakePodman({
    pods: [pod],
    containers: [
      containerRow("web", "workspace"),
      containerRow("web", "agent", { pod: false }),
      containerRow("web", "proxy", { pod: false }),
      containerRow("web", "gator", { pod: false }),
    ],
  });
  try {
    const dirs = workspaceDirs(stateDir, "web");
    await Deno.mkdir(dirs.root, { recursive: true });
    await Deno.writeTextFile(dirs.gatorScopes, "# scopes\ngithub:octo/demo#2=pending-review\n");
    const target = await rebuildTarget(podman, stateDir, pod);
    assertEquals(target.gator, ["github:octo/demo#2=pending-review"]);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
