import { assert, assertEquals } from "../../tests/support/assert.ts";
import { ExitCode } from "../errors.ts";
import { InfoSchema } from "../podman/schemas.ts";
import type { PodmanInfo } from "../podman/schemas.ts";
import { atLeast, evaluate, networkBackendCheck, parseVersion, smokeHint } from "./checks.ts";
import type { DoctorFacts } from "./checks.ts";

const recordedInfo: PodmanInfo = InfoSchema.parse(
  JSON.parse(
    Deno.readTextFileSync(new URL("../../tests/fixtures/podman/info.json", import.meta.url)),
  ),
);

function withHost(patch: Partial<PodmanInfo["host"]>): PodmanInfo {
  return { ...recordedInfo, host: { ...recordedInfo.host, ...patch } };
}

function facts(patch: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    podmanPrefix: ["podman"],
    podman: { state: "ok", version: "4.3.1", info: recordedInfo },
    smoke: { ok: true },
    toolbox: false,
    agent: { platform: "linux-x64", status: "verified", path: "/c/opencode", version: "1.18.18" },
    userConfig: { path: "/h/.config/devaipod.toml", exists: false },
    ...patch,
  };
}

const byId = (f: DoctorFacts) => Object.fromEntries(evaluate(f).checks.map((c) => [c.id, c]));

Deno.test("doctor: versions compare by major and minor", () => {
  assertEquals(parseVersion("4.3.1"), [4, 3, 1]);
  assertEquals(parseVersion("5.0.0-rc1"), [5, 0, 0]);
  assertEquals(parseVersion("garbage"), [0, 0, 0]);
  const table: [string, boolean][] = [["4.3.0", true], ["4.3.1", true], ["4.2.9", false], [
    "5.0.0",
    true,
  ], ["3.9", false]];
  for (const [v, ok] of table) assertEquals(atLeast(v, [4, 3]), ok, v);
});

Deno.test("doctor: a healthy host passes with every check listed", () => {
  const report = evaluate(facts());
  assertEquals(report.ok, true);
  assertEquals(report.exitCode, ExitCode.ok);
  assertEquals(report.checks.map((c) => c.id), [
    "podman",
    "mode",
    "oci-runtime",
    "cgroups",
    "network-backend",
    "run",
    "toolbox",
    "agent-binary",
    "user-config",
  ]);
});

Deno.test("doctor: missing podman fails with exit 4 and an install hint", () => {
  const report = evaluate(facts({ podman: { state: "missing" } }));
  assertEquals(report.ok, false);
  assertEquals(report.exitCode, ExitCode.podmanMissing);
  const podman = report.checks.find((c) => c.id === "podman");
  assertEquals(podman?.status, "fail");
  assert(podman?.hint?.includes("install podman"));
  // Host checks need podman; they are not guessed.
  assertEquals(report.checks.some((c) => c.id === "cgroups"), false);
});

Deno.test("doctor: missing podman inside a toolbox points at the host", () => {
  const c = byId(
    facts({
      podman: { state: "missing" },
      toolbox: true,
      podmanPrefix: ["flatpak-spawn", "--host", "podman"],
    }),
  );
  assert(c.podman?.hint?.includes("flatpak-spawn"));
  assert(c.toolbox?.summary.includes("inside a toolbox"));
});

Deno.test("doctor: podman older than 4.3, broken podman and failing info fail with exit 5", () => {
  const old = evaluate(facts({ podman: { state: "ok", version: "4.2.1", info: recordedInfo } }));
  assertEquals(old.exitCode, ExitCode.podmanFailed);
  assert(old.checks[0]?.summary.includes("older than 4.3"));
  const broken = evaluate(facts({ podman: { state: "broken", message: "boom" } }));
  assertEquals(broken.exitCode, ExitCode.podmanFailed);
  const noInfo = evaluate(
    facts({ podman: { state: "ok", version: "4.3.1", info: { error: "storage" } } }),
  );
  assertEquals(noInfo.exitCode, ExitCode.podmanFailed);
  assertEquals(noInfo.checks.find((c) => c.id === "podman-info")?.status, "fail");
});

Deno.test("doctor: a pod that cannot start fails, with a hint for the runtime's complaint", () => {
  const report = evaluate(
    facts({
      smoke: { ok: false, message: "crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted" },
    }),
  );
  assertEquals(report.exitCode, ExitCode.podmanFailed);
  assert(report.checks.find((c) => c.id === "run")?.hint?.includes("default_ulimits"));
  assert(smokeHint("cgroups in hybrid mode not supported").includes("runc"));
  assert(smokeHint("something else").includes("podman pod create"));
});

Deno.test("doctor: the first failure decides the exit code", () => {
  const report = evaluate(
    facts({
      podman: { state: "ok", version: "4.0.0", info: recordedInfo },
      smoke: { ok: false, message: "x" },
    }),
  );
  assertEquals(report.exitCode, ExitCode.podmanFailed);
  assertEquals(report.checks.filter((c) => c.status === "fail").length, 2);
});

Deno.test("doctor: host settings that work but limit devaipod are warnings", () => {
  const table: [Partial<PodmanInfo["host"]>, string, "ok" | "warn"][] = [
    [{ cgroupVersion: "v2" }, "cgroups", "ok"],
    [{ cgroupVersion: "v1" }, "cgroups", "warn"],
    [
      { cgroupVersion: "v1", ociRuntime: { name: "crun", version: "crun 1.8" } },
      "oci-runtime",
      "warn",
    ],
    [
      { cgroupVersion: "v2", ociRuntime: { name: "crun", version: "crun 1.8" } },
      "oci-runtime",
      "ok",
    ],
    [{ networkBackend: "cni" }, "network-backend", "warn"],
    [{ networkBackend: "netavark" }, "network-backend", "ok"],
  ];
  for (const [host, id, status] of table) {
    const c = byId(facts({ podman: { state: "ok", version: "4.3.1", info: withHost(host) } }));
    assertEquals(c[id]?.status, status, `${id} with ${JSON.stringify(host)}`);
    const report = evaluate(
      facts({ podman: { state: "ok", version: "4.3.1", info: withHost(host) } }),
    );
    assertEquals(report.ok, true, "warnings never fail the doctor");
  }
  assertEquals(
    byId(
      facts({
        podman: { state: "ok", version: "4.3.1", info: withHost({ security: { rootless: true } }) },
      }),
    ).mode?.summary,
    "rootless podman",
  );
});

Deno.test("doctor: the agent binary cache state is reported, never fatal", () => {
  const table: [DoctorFacts["agent"], "ok" | "warn", RegExp][] = [
    [
      { platform: "linux-x64", status: "verified", path: "/c/o", version: "1" },
      "ok",
      /cached at \/c\/o/,
    ],
    [{ platform: "linux-x64", status: "missing", version: "1" }, "warn", /not cached yet/],
    [{ platform: "linux-arm64", status: "stale", version: "1" }, "warn", /not verified/],
    [{ platform: undefined, status: "missing", version: "1" }, "warn", /no Linux build/],
  ];
  for (const [agent, status, summary] of table) {
    const report = evaluate(facts({ agent }));
    const check = report.checks.find((c) => c.id === "agent-binary");
    assertEquals(check?.status, status);
    assert(summary.test(check?.summary ?? ""), check?.summary);
    assertEquals(report.ok, true);
  }
});

Deno.test("doctor: on CNI the network check says isolation holds and name resolution does not", () => {
  const cni = networkBackendCheck("cni");
  assertEquals(cni.status, "warn");
  assert(/isolation holds/.test(cni.summary), cni.summary);
  assert(/cannot resolve/.test(cni.summary), cni.summary);
  assert(/netavark/.test(cni.hint ?? "") && /aardvark-dns/.test(cni.hint ?? ""), cni.hint);
  const netavark = networkBackendCheck("netavark");
  assertEquals(netavark.status, "ok");
  assertEquals(netavark.hint, undefined);
});

Deno.test("doctor: a netavark that cannot find its helpers is pointed at iptables", () => {
  const hint = smokeHint("netavark (exit code 1): No such file or directory (os error 2)");
  assert(/iptables/.test(hint), hint);
});

Deno.test("doctor: the user config is reported whether or not it exists", () => {
  assert(
    byId(facts({ userConfig: { path: "/x.toml", exists: true } }))["user-config"]?.summary.includes(
      "/x.toml",
    ),
  );
  assert(byId(facts())["user-config"]?.summary.includes("defaults apply"));
});

Deno.test("doctor: the gpu check names the CDI GPUs and their spec files, or says none is passed", () => {
  const cdi = byId(facts({
    gpu: {
      cdi: [{ kind: "nvidia.com/gpu", devices: ["0", "all"], file: "/etc/cdi/nvidia.yaml" }],
      cdiDirs: ["/etc/cdi", "/var/run/cdi"],
      amd: false,
    },
  })).gpu;
  assertEquals(
    [cdi?.status, cdi?.summary],
    ["ok", "GPUs by CDI: nvidia.com/gpu=all (/etc/cdi/nvidia.yaml)"],
  );
  const none = byId(facts({ gpu: { cdi: [], cdiDirs: ["/etc/cdi"], amd: false } })).gpu;
  assertEquals(
    none?.summary,
    "no GPU (no CDI spec of a gpu class in /etc/cdi, no /dev/kfd): [gpu] auto passes none",
  );
  assertEquals(byId(facts()).gpu, undefined);
});
