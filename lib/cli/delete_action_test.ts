import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import type { PodListEntry } from "../podman/schemas.ts";
import { CliContext } from "./context.ts";
import { rebuildAction } from "./rebuild_action.ts";
import { deleteAction } from "./workspace_actions.ts";

/** A `pod ps` row of a workspace. */
const pod = (workspace: string, status = "Running"): PodListEntry => ({
  Id: `id-${workspace}`,
  Name: `devaipod-${workspace}`,
  Status: status,
  Labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": "pod" },
  Networks: [],
  Containers: [],
});

/**
 * A context whose podman lists these pods (honouring `--filter label=K=V`), has no other
 * objects, and records every call; HOME is a scratch folder nothing is written to.
 */
function contextWith(pods: PodListEntry[]): { ctx: CliContext; runner: RecordingRunner } {
  const runner = new RecordingRunner((args) => {
    if (args[0] === "pod" && args[1] === "ps") {
      const filters = args.flatMap((a, i) =>
        args[i - 1] === "--filter" && a.startsWith("label=") ? [a.slice("label=".length)] : []
      );
      const rows = pods.filter((p) =>
        filters.every((f) => {
          const [k = "", v] = f.split(/=(.*)/s);
          return v === undefined ? k in p.Labels : p.Labels[k] === v;
        })
      );
      return { stdout: JSON.stringify(rows) };
    }
    if (args[0] === "secret") return { stdout: "" };
    return { stdout: "[]" };
  });
  const env = new Map([["HOME", "/nonexistent-devaipod-test-home"]]);
  const ctx = new CliContext({
    env: { get: (k) => env.get(k), toObject: () => Object.fromEntries(env) },
    cwd: () => "/",
    io: { stdout: () => {}, stderr: () => {}, stdoutIsTerminal: false },
    makePodman: () => new Podman(runner),
    inToolbox: () => false,
    signal: new AbortController().signal,
  });
  return { ctx, runner };
}

/** Whether a recorded call removes something. */
const removes = (args: readonly string[]) => args.includes("rm");

Deno.test("delete: a prefix of a workspace's name deletes nothing; the hint names the workspace", async () => {
  const { ctx, runner } = contextWith([pod("web-ab12", "Exited"), pod("api-cd34", "Exited")]);
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
  const { ctx, runner } = contextWith([pod("web-ab12", "Exited"), pod("web-ab12-x", "Exited")]);
  await deleteAction(ctx, "devaipod-web-ab12", { keepState: true });
  assertEquals(runner.calls.filter((c) => removes(c.args)).map((c) => c.args), [
    ["pod", "rm", "--force", "--time", "0", "devaipod-web-ab12"],
  ]);
});

Deno.test("delete: a running workspace without -f is a conflict (exit 9) and removes nothing", async () => {
  const { ctx, runner } = contextWith([pod("web-ab12")]);
  const err = await assertRejects(() => deleteAction(ctx, "web-ab12", {}), ConflictError);
  assertEquals(err.exitCode, 9);
  assertEquals(err.message, "workspace web-ab12 is running");
  assertEquals(runner.calls.filter((c) => removes(c.args)), []);
});

Deno.test("rebuild: a prefix is not found (exit 6) before anything is resolved or removed", async () => {
  const { ctx, runner } = contextWith([pod("web-ab12")]);
  const err = await assertRejects(
    () => rebuildAction(ctx, "web", { prompt: false }),
    NotFoundError,
  );
  assertEquals(err.exitCode, 6);
  assert(err.hint?.includes("'web-ab12'"), err.hint);
  assertEquals(runner.calls.map((c) => c.args.slice(0, 2)), [["pod", "ps"]]);
});
