import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { objectsResponder, passesLabelFilters } from "../../tests/support/fake_podman.ts";
import {
  containerRow,
  networkRow,
  podRow as pod,
  secretRow,
  volumeRow,
} from "../../tests/support/pod_rows.ts";
import { join } from "node:path";
import { ConflictError, NotFoundError, UsageError } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import type { PodListEntry } from "../podman/schemas.ts";
import { CliContext } from "./context.ts";
import { rebuildAction } from "./rebuild_action.ts";
import { deleteAction } from "./workspace_actions.ts";

/**
 * A context whose podman lists these pods (filtered as podman filters), has no other objects,
 * records every call, and fails `image inspect` (so a rebuild's up stops after its delete);
 * HOME is a fresh scratch folder.
 */
async function contextWith(
  pods: PodListEntry[],
): Promise<{ ctx: CliContext; runner: RecordingRunner; home: string }> {
  const runner = new RecordingRunner((args) => {
    if (args[0] === "pod" && args[1] === "ps") {
      return { stdout: JSON.stringify(pods.filter((p) => passesLabelFilters(p.Labels, args))) };
    }
    if (args[0] === "image" && args[1] === "inspect") return { code: 125, stderr: "refused" };
    if (args[0] === "secret") return { stdout: "" };
    return { stdout: "[]" };
  });
  const home = await Deno.makeTempDir({ prefix: "devaipod-delete-test-" });
  const env = new Map([["HOME", home]]);
  const ctx = new CliContext({
    env: { get: (k) => env.get(k), toObject: () => Object.fromEntries(env) },
    cwd: () => "/",
    io: { stdout: () => {}, stderr: () => {}, stdoutIsTerminal: false },
    makePodman: () => new Podman(runner),
    inToolbox: () => false,
    signal: new AbortController().signal,
  });
  return { ctx, runner, home };
}

/** Whether a recorded call removes something. */
const removes = (args: readonly string[]) => args.includes("rm");

Deno.test("delete: a prefix of a workspace's name deletes nothing; the hint names the workspace", async () => {
  const { ctx, runner } = await contextWith([pod("web-ab12", "Exited"), pod("api-cd34", "Exited")]);
  for (const prefix of ["web", "devaipod-web-a"]) {
    const err = await assertRejects(
      () => deleteAction(ctx, prefix, { force: true }),
      NotFoundError,
    );
    assertEquals(err.exitCode, 6);
    assertEquals(err.message, `no workspace named exactly '${prefix}'`);
    assertEquals(err.hint, "this command takes the whole name, never a prefix: 'web-ab12'");
  }
  assertEquals(runner.calls.filter((c) => removes(c.args)), []);
});

Deno.test("delete: the exact name removes that workspace's pod and nothing else", async () => {
  const { ctx, runner } = await contextWith([
    pod("web-ab12", "Exited"),
    pod("web-ab12-x", "Exited"),
  ]);
  await deleteAction(ctx, "devaipod-web-ab12", { keepState: true });
  assertEquals(runner.calls.filter((c) => removes(c.args)).map((c) => c.args), [
    ["pod", "rm", "--force", "--time", "0", "devaipod-web-ab12"],
  ]);
});

Deno.test("delete: a running workspace without -f is a conflict (exit 9) and removes nothing", async () => {
  const { ctx, runner } = await contextWith([pod("web-ab12")]);
  const err = await assertRejects(() => deleteAction(ctx, "web-ab12", {}), ConflictError);
  assertEquals(err.exitCode, 9);
  assertEquals(err.message, "workspace web-ab12 is running");
  assertEquals(runner.calls.filter((c) => removes(c.args)), []);
});

Deno.test("rebuild: a prefix is not found (exit 6) before anything is resolved or removed", async () => {
  const { ctx, runner } = await contextWith([pod("web-ab12")]);
  const err = await assertRejects(
    () => rebuildAction(ctx, "web", { prompt: false }),
    NotFoundError,
  );
  assertEquals(err.exitCode, 6);
  assert(err.hint?.includes("'web-ab12'"), err.hint);
  assertEquals(runner.calls.map((c) => c.args.slice(0, 2)), [["pod", "ps"]]);
});

Deno.test("delete: `devaipod-` and an empty name are usage errors that remove nothing", async () => {
  const { ctx, runner, home } = await contextWith([
    pod("web-ab12", "Exited"),
    pod("api", "Exited"),
  ]);
  const kept = join(home, ".local", "state", "devaipod", "workspaces", "web-ab12", "allow");
  await Deno.mkdir(join(kept, ".."), { recursive: true });
  await Deno.writeTextFile(kept, "example.com\n");
  try {
    for (const name of ["devaipod-", ""]) {
      const err = await assertRejects(() => deleteAction(ctx, name, { force: true }), UsageError);
      assertEquals([err.exitCode, err.message], [2, "invalid workspace name ''"]);
    }
    assertEquals(runner.calls.filter((c) => removes(c.args)), []);
    assertEquals(await Deno.readTextFile(kept), "example.com\n");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("delete: a workspace called devaipod-1a2b is deleted by that name; 1a2b stays", async () => {
  const { ctx, runner, home } = await contextWith([
    pod("1a2b", "Exited"),
    pod("devaipod-1a2b", "Exited"),
  ]);
  try {
    await deleteAction(ctx, "devaipod-1a2b", { keepState: true });
    assertEquals(runner.calls.filter((c) => removes(c.args)).map((c) => c.args), [
      ["pod", "rm", "--force", "--time", "0", "devaipod-devaipod-1a2b"],
    ]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("rebuild: a workspace called devaipod-1a2b removes its own pod, never 1a2b's", async () => {
  const project = await Deno.makeTempDir({ prefix: "devaipod-rebuild-project-" });
  const labelled = (workspace: string): PodListEntry => {
    const row = pod(workspace, "Exited");
    return {
      ...row,
      Labels: {
        ...row.Labels,
        "io.devaipod.project": project,
        "io.devaipod.image": "localhost/devaipod-test/base:latest",
      },
    };
  };
  const { ctx, runner, home } = await contextWith([labelled("1a2b"), labelled("devaipod-1a2b")]);
  try {
    // The up after the delete fails (this podman creates nothing); the delete is what counts.
    await assertRejects(() => rebuildAction(ctx, "devaipod-1a2b", { prompt: false }));
    // 1a2b's pod is devaipod-1a2b; devaipod-1a2b's pod is devaipod-devaipod-1a2b.
    const removed = runner.calls.filter((c) => removes(c.args)).map((c) => c.args);
    assert(removed.length > 0, "nothing was removed");
    for (const args of removed) {
      assertEquals(args, ["pod", "rm", "--force", "--time", "0", "devaipod-devaipod-1a2b"]);
    }
    assert(
      !runner.calls.some((c) => c.args.includes("label=io.devaipod.workspace=1a2b")),
      "1a2b's objects were listed",
    );
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(project, { recursive: true });
  }
});

Deno.test("rebuild: replaces the containers; the volumes, the allowlist and the state folder stay", async () => {
  const project = await Deno.makeTempDir({ prefix: "devaipod-rebuild-project-" });
  const home = await Deno.makeTempDir({ prefix: "devaipod-rebuild-test-" });
  const made = pod("web", "Running");
  const objects = {
    pods: [{
      ...made,
      Labels: {
        ...made.Labels,
        "io.devaipod.project": project,
        "io.devaipod.image": "localhost/devaipod-test/base:latest",
      },
    }],
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
    networks: [networkRow("web", "devaipod-web-internal", true)],
  };
  // `image inspect` fails, so the up after the delete stops there: the delete is what counts.
  const runner = new RecordingRunner(
    objectsResponder(
      objects,
      (args) =>
        args[0] === "image" && args[1] === "inspect" ? { code: 125, stderr: "refused" } : undefined,
    ),
  );
  const stderr: string[] = [];
  const env = new Map([["HOME", home]]);
  const ctx = new CliContext({
    env: { get: (k) => env.get(k), toObject: () => Object.fromEntries(env) },
    cwd: () => "/",
    io: { stdout: () => {}, stderr: (t) => stderr.push(t), stdoutIsTerminal: false },
    makePodman: () => new Podman(runner),
    inToolbox: () => false,
    signal: new AbortController().signal,
  });
  const allow = join(home, ".local", "state", "devaipod", "workspaces", "web", "allow");
  await Deno.mkdir(join(allow, ".."), { recursive: true });
  await Deno.writeTextFile(allow, "example.com\n");
  try {
    await assertRejects(() => rebuildAction(ctx, "web", { prompt: false }));
    assertEquals(runner.calls.filter((c) => removes(c.args)).map((c) => c.args), [
      ["pod", "rm", "--force", "--time", "0", "devaipod-web"],
      ["container", "rm", "--force", "--time", "0", "c-agent", "c-proxy"],
      ["secret", "rm", "devaipod-web-token"],
      ["network", "rm", "--force", "devaipod-web-internal"],
    ]);
    assertEquals(await Deno.readTextFile(allow), "example.com\n");
    assert(
      stderr.includes(
        "deleted web; kept volumes devaipod-web-workspace, devaipod-web-agent-home (delete --volumes removes them)\n",
      ),
      stderr.join(""),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(project, { recursive: true });
  }
});
