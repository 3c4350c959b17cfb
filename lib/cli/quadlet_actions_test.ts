/**
 * The workspace commands on a workspace that systemd runs from Quadlet units: they act through
 * systemctl (recorded here), find a stopped one (no pod) by its units, and `delete` removes the
 * units before the podman objects, keeping the volumes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { changes, objectsResponder } from "../../tests/support/fake_podman.ts";
import type { FakeObjects } from "../../tests/support/fake_podman.ts";
import {
  containerRow,
  networkRow,
  podRow,
  secretRow,
  volumeRow,
} from "../../tests/support/pod_rows.ts";
import { ConflictError } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import type { ScriptedResult } from "../podman/recording_runner.ts";
import { installUnits } from "../quadlet/install.ts";
import { Systemd } from "../systemd/systemd.ts";
import { CliContext } from "./context.ts";
import { listAction } from "./list_action.ts";
import { deleteAction, logsAction, statusAction, stopAction } from "./workspace_actions.ts";

const WS = "web-ab12";

/** A stopped Quadlet workspace: its units in the folder, its volumes, its networks and secrets. */
const STOPPED: FakeObjects = {
  volumes: [volumeRow(WS, `devaipod-${WS}-work`, "workspace-volume")],
  networks: [networkRow(WS, `devaipod-${WS}-internal`, true)],
  secrets: [secretRow(WS, `devaipod-${WS}-opencode-server-password`)],
};

async function contextWith(
  objects: FakeObjects,
  unitState = "inactive",
): Promise<{
  ctx: CliContext;
  podman: RecordingRunner;
  systemctl: RecordingRunner;
  journalctl: RecordingRunner;
  dir: string;
  out: string[];
  home: string;
}> {
  const home = await Deno.makeTempDir({ prefix: "devaipod-quadlet-cli-" });
  const dir = join(home, "units");
  await installUnits(dir, [
    { file: `devaipod-${WS}.pod`, text: `[Pod]\nPodmanArgs=--label=io.devaipod.workspace=${WS}\n` },
    {
      file: `devaipod-${WS}-agent.container`,
      text: `[Container]\nLabel=io.devaipod.workspace=${WS}\n`,
    },
    { file: "other.container", text: "[Container]\nImage=x\n" },
  ]);
  const podman = new RecordingRunner(objectsResponder(objects));
  const answer = (args: readonly string[]): ScriptedResult | undefined =>
    args[0] === "is-active"
      ? { code: unitState === "active" ? 0 : 3, stdout: `${unitState}\n` }
      : undefined;
  const systemctl = new RecordingRunner(answer, ["systemctl"]);
  const journalctl = new RecordingRunner(() => undefined, ["journalctl"]);
  const env = new Map([["HOME", home], ["DEVAIPOD_QUADLET_DIR", dir]]);
  const out: string[] = [];
  const ctx = new CliContext({
    env: { get: (k) => env.get(k), toObject: () => Object.fromEntries(env) },
    cwd: () => "/",
    io: { stdout: (t) => out.push(t), stderr: () => {}, stdoutIsTerminal: false },
    makePodman: () => new Podman(podman),
    makeSystemd: (scope) => new Systemd(scope, { systemctl, journalctl }),
    inToolbox: () => false,
    signal: new AbortController().signal,
  });
  return { ctx, podman, systemctl, journalctl, dir, out, home };
}

Deno.test("quadlet list: a stopped Quadlet workspace (units, no pod) is a row; the backend is named", async () => {
  const { ctx, out, home } = await contextWith(STOPPED);
  try {
    await listAction(ctx, { json: true });
    const rows = JSON.parse(out.join(""));
    assertEquals(
      rows.map((r: { name: string; state: string; backend: string }) => [
        r.name,
        r.state,
        r.backend,
      ]),
      [[WS, "stopped", "quadlet"]],
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("quadlet stop: systemctl stops the pod's service; podman stops nothing itself", async () => {
  const running: FakeObjects = {
    ...STOPPED,
    pods: [podRow(WS)],
    containers: [containerRow(WS, "workspace")],
  };
  const { ctx, podman, systemctl, home } = await contextWith(running, "active");
  try {
    await stopAction(ctx, "web");
    assertEquals(systemctl.calls.map((c) => c.args), [["stop", `devaipod-${WS}-pod.service`]]);
    assertEquals(changes(podman), []);
    // Stopped (no pod any more), it is still found by its exact name.
    const stopped = await contextWith(STOPPED);
    await stopAction(stopped.ctx, WS);
    assertEquals(stopped.systemctl.calls.map((c) => c.args), [[
      "stop",
      `devaipod-${WS}-pod.service`,
    ]]);
    await Deno.remove(stopped.home, { recursive: true });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("quadlet delete: refused while the service runs; with -f: stop, units removed, reload, then the objects; volumes stay", async () => {
  const { ctx, podman, systemctl, dir, home } = await contextWith(STOPPED, "active");
  try {
    const err = await assertRejects(() => deleteAction(ctx, WS, {}), ConflictError);
    assertEquals(err.exitCode, 9);
    assertEquals(changes(podman), []);
    assertEquals(systemctl.calls.map((c) => c.args[0]), ["is-active"]);
    systemctl.calls.length = 0;
    await deleteAction(ctx, WS, { force: true });
    assertEquals(systemctl.calls.map((c) => c.args), [
      ["is-active", `devaipod-${WS}-pod.service`],
      ["stop", `devaipod-${WS}-pod.service`, `devaipod-${WS}-agent.service`],
      ["daemon-reload"],
    ]);
    // Only the other file stays in the folder.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["other.container"]);
    const removed = changes(podman).map((a) => `${a[0]} ${a[1]} ${a.at(-1)}`);
    assert(removed.includes(`network rm devaipod-${WS}-internal`), removed.join("\n"));
    assert(
      removed.includes(`secret rm devaipod-${WS}-opencode-server-password`),
      removed.join("\n"),
    );
    assertEquals(removed.some((r) => r.startsWith("volume rm")), false, removed.join("\n"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("quadlet logs: the journal of the container's service", async () => {
  const { ctx, journalctl, home } = await contextWith(STOPPED);
  try {
    await logsAction(ctx, WS, { container: "agent", tail: "20" });
    assertEquals(journalctl.calls.map((c) => c.args), [[
      "--unit",
      `devaipod-${WS}-agent.service`,
      "--output",
      "cat",
      "--no-pager",
      "--lines",
      "20",
    ]]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("quadlet status: a stopped workspace shows its service's state and its volumes", async () => {
  const { ctx, out, dir, home } = await contextWith(STOPPED);
  try {
    await statusAction(ctx, WS, { json: true });
    assertEquals(JSON.parse(out.join("")), {
      name: WS,
      backend: "quadlet",
      state: "stopped",
      quadlet: { dir, service: `devaipod-${WS}-pod.service`, state: "inactive" },
      volumes: [{ name: `devaipod-${WS}-work` }],
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
