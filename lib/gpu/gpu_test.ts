import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { EnvironmentError } from "../errors.ts";
import { parseCdiSpec } from "./gather.ts";
import { chooseGpus, gpuSetting } from "./gpu.ts";
import type { GpuFacts } from "./gpu.ts";

const NONE: GpuFacts = { cdi: [], cdiDirs: ["/etc/cdi", "/var/run/cdi"], amd: false };
const NVIDIA: GpuFacts = {
  ...NONE,
  cdi: [
    { kind: "nvidia.com/gpu", devices: ["0", "1", "all"], file: "/etc/cdi/nvidia.yaml" },
    { kind: "nvidia.com/mofed", devices: ["all"], file: "/etc/cdi/mofed.yaml" },
  ],
};

Deno.test("chooseGpus() passes a CDI kind's `all`, else each device, for the chosen containers", () => {
  assertEquals(chooseGpus({ enabled: "auto", target: "agent" }, NVIDIA), {
    devices: ["nvidia.com/gpu=all"],
    targets: ["agent"],
    resources: ["nvidia.com/gpu"],
    note: "gpu: nvidia.com/gpu=all for the agent (CDI)",
  });
  const own: GpuFacts = {
    ...NONE,
    cdi: [{ kind: "example.test/gpu", devices: ["a", "b"], file: "/var/run/cdi/x.yaml" }],
  };
  const both = chooseGpus({ enabled: true, target: "all" }, own);
  assertEquals(
    [both.devices, both.targets, both.resources],
    [["example.test/gpu=a", "example.test/gpu=b"], ["agent", "workspace"], ["example.test/gpu"]],
  );
  assertEquals(chooseGpus({ enabled: true, target: "workspace" }, own).targets, ["workspace"]);
});

Deno.test("chooseGpus() takes AMD's ROCm nodes without a CDI spec", () => {
  const amd = chooseGpus({ enabled: "auto", target: "agent" }, { ...NONE, amd: true });
  assertEquals([amd.devices, amd.resources], [["/dev/kfd", "/dev/dri"], ["amd.com/gpu"]]);
});

Deno.test("chooseGpus(): auto without a GPU passes none and says where it looked; true fails; false never looks", () => {
  const auto = chooseGpus({ enabled: "auto", target: "agent" }, NONE);
  assertEquals(auto.devices, []);
  assertEquals(
    auto.note,
    "gpu: auto: no GPU found (looked for CDI specs in /etc/cdi, /var/run/cdi and for /dev/kfd); none passed",
  );
  const err = assertThrows(
    () => chooseGpus({ enabled: true, target: "agent" }, NONE),
    EnvironmentError,
  );
  assertEquals(err.exitCode, 10);
  assertEquals(chooseGpus({ enabled: false, target: "agent" }, NVIDIA).devices, []);
});

Deno.test("gpuSetting(): the project's customization over the user config over auto for the agent", () => {
  assertEquals(gpuSetting(undefined, undefined), { enabled: "auto", target: "agent" });
  assertEquals(gpuSetting({ enabled: false, target: "all" }, undefined), {
    enabled: false,
    target: "all",
  });
  assertEquals(gpuSetting({ enabled: false, target: "all" }, true), {
    enabled: true,
    target: "all",
  });
  assertEquals(gpuSetting({ enabled: true }, { target: "workspace" }), {
    enabled: true,
    target: "workspace",
  });
});

Deno.test("parseCdiSpec() reads the kind and device names of a YAML or JSON spec, and nothing else", () => {
  assertEquals(
    parseCdiSpec(
      'cdiVersion: "0.5.0"\nkind: nvidia.com/gpu\ndevices:\n  - name: "0"\n  - name: all\n',
    ),
    { kind: "nvidia.com/gpu", devices: ["0", "all"] },
  );
  assertEquals(
    parseCdiSpec(
      JSON.stringify({ cdiVersion: "0.3.0", kind: "amd.com/gpu", devices: [{ name: "x" }] }),
    ),
    { kind: "amd.com/gpu", devices: ["x"] },
  );
  assertEquals(parseCdiSpec("kind: not a kind\n"), undefined);
  assertEquals(parseCdiSpec(": : :"), undefined);
});
