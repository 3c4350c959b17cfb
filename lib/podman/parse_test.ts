import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/support/assert.ts";
import { InterruptedError, PodmanFailedError, PodmanOutputError } from "../errors.ts";
import type { CommandOutput, PodmanCommand } from "./command.ts";
import * as p from "./mod.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../../tests/fixtures/podman/${name}`, import.meta.url));
const out = (stdout: string, code = 0): CommandOutput => ({ code, stdout, stderr: "" });
const parse = <T>(cmd: PodmanCommand<T>, file: string): T => cmd.parse(out(fixture(file)));

Deno.test("recordings come from podman 4.3.1", () => {
  assertEquals(fixture("podman-version.txt").trim(), "4.3.1");
});

Deno.test("parse: podman version", () => {
  const v = parse(p.version(), "version.json");
  assertEquals(v.Client.Version, "4.3.1");
});

Deno.test("parse: podman info gives runtime, cgroups, network backend and mode", () => {
  const info = parse(p.info(), "info.json");
  assertEquals(info.host.cgroupVersion, "v1");
  assertEquals(info.host.ociRuntime.name, "runc");
  assertEquals(info.host.networkBackend, "netavark");
  assertEquals(info.host.security.rootless, false);
  assertEquals(info.version.Version, "4.3.1");
});

Deno.test("parse: image inspect keeps labels and config", () => {
  const [img] = parse(p.imageInspect("x"), "image-inspect.json");
  assert(img);
  assert(img.Labels["io.devaipod.test-image.content"]);
  assert(img.Config?.Env.some((e) => e.startsWith("PATH=")));
  assertEquals(img.Config?.Cmd, ["/bin/bash"]);
});

Deno.test("parse: pod inspect (an object on podman 4) becomes a list", () => {
  const pods = parse(p.podInspect("x"), "pod-inspect.json");
  assertEquals(pods.length, 1);
  assertEquals(pods[0]?.State, "Running");
  assertEquals(pods[0]?.Labels["io.devaipod.role"], "fixture");
  assertEquals(pods[0]?.Containers.length, 2); // infra + member
});

Deno.test("parse: pod inspect as an array (podman 5) is accepted too", () => {
  const one = JSON.parse(fixture("pod-inspect.json"));
  const pods = p.podInspect("x").parse(out(JSON.stringify([one, one])));
  assertEquals(pods.length, 2);
});

Deno.test("parse: pod ps with and without matches", () => {
  const pods = parse(p.podPs(), "pod-ps.json");
  assertEquals(pods.length, 1);
  assert(pods[0]?.Name.startsWith("devaipod-fixture-"));
  assertEquals(parse(p.podPs(), "pod-ps-empty.json"), []);
  assertEquals(p.podPs().parse(out("")), []);
});

Deno.test("parse: container inspect shows the sandbox settings and health", () => {
  const [c] = parse(p.containerInspect("x"), "container-inspect.json");
  assert(c);
  assertEquals(c.HostConfig.CapDrop.length > 0, true);
  assert(c.HostConfig.SecurityOpt.includes("no-new-privileges"));
  assertEquals(c.Config.User, "1000:1000");
  assertEquals(c.State.Running, true);
  assert(c.State.Health, "health state is read from podman 4's State.Health");
  assert(c.Mounts.some((m) => m.Type === "volume" && m.Destination === "/data"));
  // The mounted secret's value is nowhere in the inspect output.
  assertEquals(fixture("container-inspect.json").includes("fixture-value-not-a-secret"), false);
});

Deno.test("parse: container ps lists infra and member containers by label", () => {
  const rows = parse(p.containerPs(), "container-ps.json");
  assertEquals(rows.length, 2);
  assert(rows.every((r) => r.Labels["io.devaipod.role"] === "fixture"));
});

Deno.test("parse: volumes, networks and secrets", () => {
  const [vol] = parse(p.volumeInspect("v"), "volume-inspect.json");
  assertEquals(vol?.Labels["io.devaipod.role"], "fixture");
  assertEquals(parse(p.volumeLs(), "volume-ls.json").length, 1);
  const [net] = parse(p.networkInspect("n"), "network-inspect.json");
  assertEquals(net?.internal, true);
  assertEquals(net?.dns_enabled, false);
  assertEquals(net?.subnets[0]?.subnet, "10.89.231.0/24");
  assertEquals(parse(p.networkLs(), "network-ls.json").length, 1);
  const [sec] = parse(p.secretInspect("s"), "secret-inspect.json");
  assertEquals(sec?.Spec.Labels["io.devaipod.role"], "fixture");
  assertEquals(parse(p.secretNames(), "secret-names.txt").length, 1);
});

Deno.test("parse: output that is not JSON is a PodmanOutputError naming the argv", () => {
  const err = assertThrows(
    () => p.info().parse(out("json")),
    PodmanOutputError,
  );
  assertEquals(err.argv, ["podman", "info", "--format", "json"]);
  assertEquals(err.exitCode, 5);
});

Deno.test("parse: JSON of the wrong shape is a PodmanOutputError naming the field", () => {
  assertThrows(() => p.version().parse(out('{"Client":{"Version":4}}')), /Client\.Version/);
  assertThrows(() => p.podPs().parse(out('[{"Id":1}]')), PodmanOutputError);
});

Deno.test("parse: exists commands answer from the exit code", () => {
  const cmd = p.podExists("x");
  assertEquals(cmd.accepts?.(0), true);
  assertEquals(cmd.accepts?.(1), true);
  assertEquals(cmd.accepts?.(125), false);
  assertEquals(cmd.parse(out("", 0)), true);
  assertEquals(cmd.parse(out("", 1)), false);
});

Deno.test("parse: exec returns the inner exit code; only 125 is podman's failure", () => {
  const cmd = p.containerExec({ container: "c", command: ["false"] });
  assertEquals(cmd.accepts?.(1), true);
  assertEquals(cmd.accepts?.(127), true);
  assertEquals(cmd.accepts?.(125), false);
  assertEquals(cmd.parse({ code: 3, stdout: "o", stderr: "e" }), {
    code: 3,
    stdout: "o",
    stderr: "e",
  });
});

Deno.test("parse: wait returns the container's exit code", () => {
  assertEquals(p.containerWait("c").parse(out("137\n")), 137);
  assertThrows(() => p.containerWait("c").parse(out("")), PodmanOutputError);
});

Deno.test("parse: build returns the image ID from the last line", () => {
  assertEquals(
    p.imageBuild({ tag: "t", file: "f", context: "c" }).parse(out("STEP 1\nabc123\n")),
    "abc123",
  );
});

Deno.test("driver: a failing command throws PodmanFailedError with the full argv and stderr tail", async () => {
  const stderr = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
  const runner = new p.RecordingRunner(() => ({ code: 125, stderr }), [
    "flatpak-spawn",
    "--host",
    "podman",
  ]);
  const podman = new p.Podman(runner);
  const err = await assertRejects(
    () => podman.run(p.podStart("x")),
    PodmanFailedError,
  );
  assertEquals(err.argv, ["flatpak-spawn", "--host", "podman", "pod", "start", "x"]);
  assertEquals(err.code, 125);
  assertEquals(err.stderrTail.length, 12);
  assertEquals(err.stderrTail.at(-1), "line 20");
  assertEquals(err.exitCode, 5);
  assert(err.message.includes("podman pod start x"));
});

Deno.test("driver: commands get their stdin and parsed output", async () => {
  const runner = new p.RecordingRunner((
    args,
  ) => (args[0] === "secret" ? { stdout: "abc\n" } : undefined));
  const podman = new p.Podman(runner);
  assertEquals(await podman.run(p.secretCreate("s", "value")), "abc");
  assertEquals(runner.calls, [{ args: ["secret", "create", "s", "-"], stdin: "value" }]);
});

Deno.test("driver: listSecrets inspects the listed names and filters by label", async () => {
  const inspect = fixture("secret-inspect.json");
  const runner = new p.RecordingRunner((args) =>
    args[1] === "ls" ? { stdout: "one\ntwo\n" } : { stdout: inspect }
  );
  const podman = new p.Podman(runner);
  const found = await p.listSecrets(podman, { "io.devaipod.role": "fixture" });
  assertEquals(found.length, 1);
  assertEquals(runner.calls.map((c) => c.args), [
    ["secret", "ls", "--noheading", "--format", "{{.Name}}"],
    ["secret", "inspect", "one", "two"],
  ]);
  assertEquals(await p.listSecrets(podman, { "io.devaipod.role": "other" }), []);
  const none = new p.Podman(new p.RecordingRunner(() => ({ stdout: "" })));
  assertEquals(await p.listSecrets(none), []);
});

Deno.test("driver: listSecrets lists again when a secret goes between ls and inspect", async () => {
  const inspect = fixture("secret-inspect.json");
  let ls = 0;
  const runner = new p.RecordingRunner((args) => {
    if (args[1] === "ls") return { stdout: ++ls === 1 ? "gone\none\n" : "one\n" };
    return args.includes("gone")
      ? { code: 125, stderr: 'Error: no secret with name or id "gone": no such secret' }
      : { stdout: inspect };
  });
  const found = await p.listSecrets(new p.Podman(runner), { "io.devaipod.role": "fixture" });
  assertEquals(found.length, 1);
  assertEquals(runner.calls.map((c) => c.args.slice(1).join(" ")), [
    "ls --noheading --format {{.Name}}",
    "inspect gone one",
    "ls --noheading --format {{.Name}}",
    "inspect one",
  ]);
});

Deno.test("driver: toolbox and DEVAIPOD_PODMAN decide the podman prefix", () => {
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assertEquals(p.podmanPrefix(env({}), false), ["podman"]);
  assertEquals(p.podmanPrefix(env({ DEVAIPOD_PODMAN: "/opt/podman" }), false), ["/opt/podman"]);
  assertEquals(p.podmanPrefix(env({ DEVAIPOD_PODMAN: "  " }), false), ["podman"]);
  assertEquals(p.podmanPrefix(env({}), true), ["flatpak-spawn", "--host", "podman"]);
  assertEquals(p.podmanPrefix(env({ DEVAIPOD_PODMAN: "podman-remote" }), true), [
    "flatpak-spawn",
    "--host",
    "podman-remote",
  ]);
  assertEquals(p.detectToolbox((path) => path === "/run/.toolboxenv"), true);
  assertEquals(p.detectToolbox(() => false), false);
});

Deno.test("driver: after an interrupt no new command starts, but cleanup still runs", async () => {
  const controller = new AbortController();
  const runner = new p.RecordingRunner();
  const podman = new p.Podman(runner, { interrupt: controller.signal });
  await podman.run(p.podCreate({ name: "x" }));
  controller.abort();
  await assertRejects(
    () => podman.run(p.containerCreate({ name: "c", image: "i", pod: "x" })),
    InterruptedError,
  );
  await podman.run(p.podRm("x", { force: true }), { cleanup: true });
  assertEquals(runner.calls.map((c) => c.args.slice(0, 2)), [["pod", "create"], ["pod", "rm"]]);
});

Deno.test("driver: a command that fails because of the interrupt reports the interrupt", async () => {
  const controller = new AbortController();
  const runner = new p.RecordingRunner(() => {
    controller.abort(); // the terminal's SIGINT reached podman too
    return { code: 130, stderr: "interrupted" };
  });
  const podman = new p.Podman(runner, { interrupt: controller.signal });
  const err = await assertRejects(
    () => podman.run(p.imageBuild({ tag: "t", file: "f", context: "c" })),
    InterruptedError,
  );
  assertEquals(err.exitCode, 130);
  assert(err.cause instanceof PodmanFailedError);
});

Deno.test("driver: a command past its time limit is killed and reported as a timeout", async () => {
  const runner = new p.ProcessRunner(["sleep"]);
  const podman = new p.Podman(runner);
  const started = performance.now();
  const err = await assertRejects(
    () => podman.run({ argv: ["5"], parse: () => {} }, { timeoutMs: 200 }),
    p.PodmanTimeoutError,
  );
  assert(performance.now() - started < 3000, "killed well before sleep ended");
  assertEquals(err.exitCode, 5);
  assertEquals(err.argv, ["sleep", "5"]);
});
