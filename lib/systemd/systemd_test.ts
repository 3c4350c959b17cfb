import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { EnvironmentError, InterruptedError, PodmanMissingError } from "../errors.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import type { ScriptedResult } from "../podman/recording_runner.ts";
import { Systemd, SystemdFailedError } from "./systemd.ts";

function driver(
  scope: "user" | "system",
  answer: (args: readonly string[]) => ScriptedResult | undefined = () => undefined,
  interrupt?: AbortSignal,
) {
  const flag = scope === "user" ? ["--user"] : [];
  const systemctl = new RecordingRunner(answer, ["systemctl", ...flag]);
  const journalctl = new RecordingRunner(answer, ["journalctl", ...flag]);
  const systemd = new Systemd(scope, { systemctl, journalctl }, interrupt ? { interrupt } : {});
  return { systemd, systemctl, journalctl };
}

Deno.test("systemd: start, stop and daemon-reload run systemctl with exactly those words", async () => {
  const { systemd, systemctl } = driver("user");
  await systemd.daemonReload();
  await systemd.start("w-pod.service");
  await systemd.stop("w-pod.service");
  assertEquals(systemctl.calls.map((c) => c.args), [
    ["daemon-reload"],
    ["start", "w-pod.service"],
    ["stop", "w-pod.service"],
  ]);
  assertEquals(systemd.systemctlArgv(["start", "x"]), ["systemctl", "--user", "start", "x"]);
});

Deno.test("systemd: a failed start names the argv and the tail of stderr (exit 1)", async () => {
  const { systemd } = driver("system", () => ({ code: 1, stderr: "Job for w.service failed." }));
  const err = await assertRejects(() => systemd.start("w.service"), SystemdFailedError);
  assertEquals(err.exitCode, 1);
  assertEquals(err.message.includes("systemctl start w.service"), true, err.message);
  assertEquals(err.message.includes("Job for w.service failed."), true, err.message);
});

Deno.test("systemd: states reads is-active's lines in order; exit 3 is an answer, not a failure", async () => {
  const { systemd } = driver("user", () => ({ code: 3, stdout: "active\ninactive\nbogus\n" }));
  assertEquals(await systemd.states(["a", "b", "c"]), ["active", "inactive", "unknown"]);
  assertEquals(await systemd.states([]), []);
});

Deno.test("systemd: running() is false when systemd is offline or systemctl is missing", async () => {
  assertEquals(
    await driver("system", () => ({ code: 1, stdout: "offline\n" })).systemd.running(),
    { ok: false, state: "offline" },
  );
  assertEquals(
    await driver("user", () => ({ code: 1, stdout: "degraded\n" })).systemd.running(),
    { ok: true, state: "degraded" },
  );
  const missing = new Systemd("user", {
    systemctl: {
      prefix: ["systemctl"],
      run: () => Promise.reject(new PodmanMissingError("systemctl")),
      runInherited: () => Promise.resolve(0),
      spawnPiped: () => {
        throw new Error("no");
      },
    },
    journalctl: new RecordingRunner(),
  });
  assertEquals(await missing.running(), { ok: false, state: "no systemctl" });
  await assertRejects(() => missing.start("x"), EnvironmentError);
});

Deno.test("systemd: after an interrupt only cleanup runs", async () => {
  const abort = new AbortController();
  abort.abort();
  const { systemd, systemctl } = driver("user", undefined, abort.signal);
  await assertRejects(() => systemd.start("w.service"), InterruptedError);
  await systemd.stop("w.service", { cleanup: true });
  assertEquals(systemctl.calls.map((c) => c.args), [["stop", "w.service"]]);
});

Deno.test("systemd: the journal of units, with --lines and --follow", async () => {
  const { systemd, journalctl } = driver("user");
  assertEquals(await systemd.journal(["a.service"], { tail: 5, follow: true }), 0);
  assertEquals(journalctl.calls.map((c) => c.args), [[
    "--unit",
    "a.service",
    "--output",
    "cat",
    "--no-pager",
    "--lines",
    "5",
    "--follow",
  ]]);
});
