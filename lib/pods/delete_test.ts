import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { fakePodman } from "../../tests/support/fake_podman.ts";
import type { FakeObjects } from "../../tests/support/fake_podman.ts";
import {
  containerRow,
  networkRow,
  podRow,
  secretRow,
  volumeRow,
} from "../../tests/support/pod_rows.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { blockBegin, renderHostBlock } from "../ssh/ssh_config.ts";
import { deletableWorkspace, deleteWorkspace } from "./delete.ts";
import type { DeleteDeps } from "./delete.ts";
import { workspaceDirs } from "./state.ts";

/** A stopped, isolated workspace `web` with two volumes, a secret and two networks. */
const WEB: FakeObjects = {
  pods: [podRow("web", "Exited")],
  containers: [
    containerRow("web", "workspace", { state: "exited" }),
    containerRow("web", "agent", { pod: false, state: "exited" }),
    containerRow("web", "proxy", { pod: false, state: "exited" }),
  ],
  volumes: [
    volumeRow("web", "devaipod-web-workspace", "workspace-volume"),
    volumeRow("web", "devaipod-web-agent-home", "agent-home"),
  ],
  secrets: [secretRow("web", "devaipod-web-token")],
  networks: [networkRow("web", "devaipod-web-internal", true)],
};

/** The removals of {@link WEB} without its volumes, in order. */
const REMOVALS = [
  ["pod", "rm", "--force", "--time", "0", "devaipod-web"],
  ["container", "rm", "--force", "--time", "0", "c-agent", "c-proxy"],
  ["secret", "rm", "devaipod-web-token"],
  ["network", "rm", "--force", "devaipod-web-internal"],
];

/** Whether a recorded call removes something. */
const removes = (args: readonly string[]) => args.includes("rm");

/**
 * Delete's deps over a fake podman holding `objects`, with a scratch state folder that has the
 * workspace's allowlist, and a managed ssh config with its Host block and another's.
 */
async function setup(objects: FakeObjects) {
  const { podman, runner } = fakePodman(objects);
  const home = await Deno.makeTempDir({ prefix: "devaipod-delete-test-" });
  const stateDir = join(home, "state");
  const allow = join(workspaceDirs(stateDir, "web").root, "allow");
  await Deno.mkdir(join(allow, ".."), { recursive: true });
  await Deno.writeTextFile(allow, "example.com\n");
  const sshConfig = join(home, "ssh-devaipod");
  const block = (workspace: string) =>
    renderHostBlock({ workspace, proxyCommand: ["devaipod"], knownHostsFile: "/k" });
  await Deno.writeTextFile(sshConfig, block("web") + block("api"));
  const warnings: string[] = [];
  const deps: DeleteDeps = { podman, stateDir, sshConfig, warn: (l) => warnings.push(l) };
  return {
    deps,
    runner,
    allow,
    sshConfig,
    warnings,
    done: () => Deno.remove(home, { recursive: true }),
  };
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("deleteWorkspace: without volumes removes pod, outside containers, secrets, networks, the state and the ssh Host; the volumes stay", async () => {
  const t = await setup(WEB);
  try {
    const result = await deleteWorkspace(t.deps, "web", {});
    assertEquals(t.runner.calls.filter((c) => removes(c.args)).map((c) => c.args), REMOVALS);
    assertEquals(result, {
      keptVolumes: ["devaipod-web-workspace", "devaipod-web-agent-home"],
      removedVolumes: [],
      sshConfigCleaned: t.sshConfig,
    });
    assert(!(await exists(t.allow)), "the state folder is gone");
    const ssh = await Deno.readTextFile(t.sshConfig);
    assert(!ssh.includes(blockBegin("web")) && ssh.includes(blockBegin("api")), ssh);
    assertEquals(t.warnings, []);
  } finally {
    await t.done();
  }
});

Deno.test("deleteWorkspace: with volumes removes them last", async () => {
  const t = await setup(WEB);
  try {
    const result = await deleteWorkspace(t.deps, "web", { volumes: true });
    assertEquals(t.runner.calls.filter((c) => removes(c.args)).map((c) => c.args), [
      ...REMOVALS,
      ["volume", "rm", "--force", "devaipod-web-workspace", "devaipod-web-agent-home"],
    ]);
    assertEquals([result.keptVolumes, result.removedVolumes.length], [[], 2]);
  } finally {
    await t.done();
  }
});

Deno.test("deleteWorkspace: keepState (rebuild) keeps the state folder and the volumes", async () => {
  const t = await setup(WEB);
  try {
    await deleteWorkspace(t.deps, "web", { force: true, keepState: true });
    assertEquals(t.runner.calls.filter((c) => removes(c.args)).map((c) => c.args), REMOVALS);
    assertEquals(await Deno.readTextFile(t.allow), "example.com\n");
  } finally {
    await t.done();
  }
});

Deno.test("deleteWorkspace: a running workspace needs force; without it nothing is removed", async () => {
  const t = await setup({ ...WEB, pods: [podRow("web")] });
  try {
    const err = await assertRejects(() => deleteWorkspace(t.deps, "web", {}), ConflictError);
    assertEquals([err.exitCode, err.message], [9, "workspace web is running"]);
    assertEquals(t.runner.calls.filter((c) => removes(c.args)), []);
    assert(await exists(t.allow));
    await deleteWorkspace(t.deps, "web", { force: true });
    assertEquals(t.runner.calls.filter((c) => removes(c.args)).map((c) => c.args), REMOVALS);
  } finally {
    await t.done();
  }
});

Deno.test("deleteWorkspace: a name nothing is labelled with is not found (exit 6)", async () => {
  const t = await setup(WEB);
  try {
    const err = await assertRejects(() => deleteWorkspace(t.deps, "api", {}), NotFoundError);
    assertEquals([err.exitCode, err.message], [6, "no workspace named 'api'"]);
    assertEquals(t.runner.calls.filter((c) => removes(c.args)), []);
  } finally {
    await t.done();
  }
});

Deno.test("deleteWorkspace: an ssh config it cannot rewrite is a warning; the objects are gone", async () => {
  const t = await setup(WEB);
  try {
    // A folder where the managed file should be: reading it fails.
    await Deno.remove(t.sshConfig);
    await Deno.mkdir(t.sshConfig);
    const result = await deleteWorkspace(t.deps, "web", {});
    assertEquals(result.sshConfigCleaned, undefined);
    assertEquals(t.warnings.length, 1);
    assert(t.warnings[0]?.startsWith(`warning: cannot remove web.devaipod from ${t.sshConfig}`));
    assertEquals(t.runner.calls.filter((c) => removes(c.args)).map((c) => c.args), REMOVALS);
  } finally {
    await t.done();
  }
});

Deno.test("deletableWorkspace: a workspace whose pod is gone is found by its other objects, with or without devaipod-", async () => {
  const leftovers: FakeObjects = {
    volumes: [volumeRow("web", "devaipod-web-workspace", "workspace-volume")],
    networks: [networkRow("web", "devaipod-web-internal", true)],
  };
  const { podman } = fakePodman(leftovers);
  assertEquals(await deletableWorkspace(podman, "web"), "web");
  assertEquals(await deletableWorkspace(podman, "devaipod-web"), "web");
  const err = await assertRejects(() => deletableWorkspace(podman, "we"), NotFoundError);
  assertEquals(err.message, "no workspace named 'we'");
});
