/**
 * `devaipod doctor`'s verdicts: a pure function from gathered facts to checks, so every rule is
 * table-tested without podman. Gathering the facts is `gather.ts`'s job.
 */
import { cdiGpus } from "../gpu/gpu.ts";
import type { GpuFacts } from "../gpu/gpu.ts";
import { ExitCode } from "../errors.ts";
import type { ExitCodeValue } from "../errors.ts";
import type { PodmanInfo } from "../podman/schemas.ts";

/** The oldest podman devaipod supports. */
export const MIN_PODMAN: readonly [number, number] = [4, 3];

/** A check's verdict. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One line of the doctor's report. */
export interface Check {
  /** Stable identifier (part of the `--json` contract). */
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  summary: string;
  /** What to do about a warn or fail. */
  hint?: string;
}

/** Everything the doctor looks at, gathered beforehand. */
export interface DoctorFacts {
  /** How podman is invoked, e.g. `["podman"]`. */
  podmanPrefix: readonly string[];
  /** podman's version, or why it could not be read. */
  podman:
    | { state: "missing" }
    | { state: "broken"; message: string }
    | { state: "ok"; version: string; info: PodmanInfo | { error: string } };
  /** Whether podman could start (and remove) a pod: the end-to-end check. Absent when skipped. */
  smoke?: { ok: true } | { ok: false; message: string };
  toolbox: boolean;
  agent: {
    platform: string | undefined;
    status: "missing" | "verified" | "stale";
    path?: string;
    version: string;
  };
  userConfig: { path: string; exists: boolean };
  /** The GPUs this host has (lib/gpu/gather.ts). */
  gpu?: GpuFacts;
}

/** The doctor's report: checks in display order, and the exit code they add up to. */
export interface DoctorReport {
  ok: boolean;
  exitCode: ExitCodeValue;
  checks: Check[];
}

/** Parses `4.3.1`, `5.0.0-rc1`, … into numbers; unknown parts are 0. */
export function parseVersion(text: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [0, 0, 0];
}

/** Whether `version` is at least `min` (major, minor). */
export function atLeast(version: string, min: readonly [number, number]): boolean {
  const [major, minor] = parseVersion(version);
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

/** Judges the gathered facts. */
export function evaluate(facts: DoctorFacts): DoctorReport {
  const checks: Check[] = [];
  let exitCode: ExitCodeValue = ExitCode.ok;
  const fail = (check: Check, code: ExitCodeValue) => {
    checks.push(check);
    if (exitCode === ExitCode.ok) exitCode = code;
  };
  const podmanCmd = facts.podmanPrefix.join(" ");
  const p = facts.podman;

  if (p.state === "missing") {
    fail({
      id: "podman",
      status: "fail",
      summary: `'${podmanCmd}' not found`,
      hint: facts.toolbox
        ? "inside a toolbox devaipod runs the host's podman through flatpak-spawn --host; install podman on the host"
        : "install podman 4.3 or newer (e.g. `apt-get install podman`), or set DEVAIPOD_PODMAN to its path",
    }, ExitCode.podmanMissing);
  } else if (p.state === "broken") {
    fail({
      id: "podman",
      status: "fail",
      summary: `'${podmanCmd} version' failed: ${p.message}`,
      hint: "run `podman version` yourself to see what is wrong",
    }, ExitCode.podmanFailed);
  } else if (!atLeast(p.version, MIN_PODMAN)) {
    fail({
      id: "podman",
      status: "fail",
      summary: `podman ${p.version} is older than ${MIN_PODMAN.join(".")}`,
      hint: "upgrade podman to 4.3 or newer",
    }, ExitCode.podmanFailed);
  } else {
    checks.push({ id: "podman", status: "ok", summary: `podman ${p.version} (${podmanCmd})` });
  }

  if (p.state === "ok") {
    if ("error" in p.info) {
      fail({
        id: "podman-info",
        status: "fail",
        summary: `'${podmanCmd} info' failed: ${p.info.error}`,
        hint: "podman cannot reach its storage or runtime; run `podman info` to see why",
      }, ExitCode.podmanFailed);
    } else {
      checks.push(...hostChecks(p.info));
    }
  }

  if (facts.smoke) {
    if (facts.smoke.ok) {
      checks.push({
        id: "run",
        status: "ok",
        summary: "podman can create, start and remove a pod",
      });
    } else {
      fail({
        id: "run",
        status: "fail",
        summary: `podman cannot start a pod: ${facts.smoke.message}`,
        hint: smokeHint(facts.smoke.message),
      }, ExitCode.podmanFailed);
    }
  }

  checks.push(
    facts.toolbox
      ? {
        id: "toolbox",
        status: "ok",
        summary: "inside a toolbox: podman runs on the host via flatpak-spawn --host",
      }
      : { id: "toolbox", status: "ok", summary: "not inside a toolbox" },
  );

  const a = facts.agent;
  if (!a.platform) {
    checks.push({
      id: "agent-binary",
      status: "warn",
      summary: "opencode has no Linux build for this architecture",
      hint: "use an image that ships its own opencode",
    });
  } else if (a.status === "verified") {
    checks.push({
      id: "agent-binary",
      status: "ok",
      summary: `opencode ${a.version} (${a.platform}) cached at ${a.path}`,
    });
  } else {
    checks.push({
      id: "agent-binary",
      status: "warn",
      summary: a.status === "missing"
        ? `opencode ${a.version} (${a.platform}) not cached yet`
        : `opencode ${a.version} (${a.platform}) in the cache is not verified`,
      hint: "it is fetched from the npm registry on first use; `deno task opencode` fetches it now",
    });
  }

  if (facts.gpu) {
    const gpus = cdiGpus(facts.gpu);
    checks.push({
      id: "gpu",
      status: "ok",
      summary: gpus.devices.length
        ? `GPUs by CDI: ${gpus.devices.join(", ")} (${
          facts.gpu.cdi.filter((k) => gpus.resources.includes(k.kind)).map((k) => k.file).join(", ")
        })`
        : facts.gpu.amd
        ? "GPUs: AMD ROCm (/dev/kfd, /dev/dri)"
        : `no GPU (no CDI spec of a gpu class in ${facts.gpu.cdiDirs.join(", ")}, no /dev/kfd): ` +
          "[gpu] auto passes none",
    });
  }

  checks.push({
    id: "user-config",
    status: "ok",
    summary: facts.userConfig.exists
      ? `user config ${facts.userConfig.path}`
      : `no user config (${facts.userConfig.path}); defaults apply`,
  });

  return { ok: exitCode === ExitCode.ok, exitCode, checks };
}

/** A hint for a failed start, from the runtime's message (the verdict itself is the exit code). */
export function smokeHint(message: string): string {
  if (/setrlimit|RLIMIT_/i.test(message)) {
    return "the runtime may not raise ulimits here; set default_ulimits under [containers] in containers.conf " +
      '(e.g. ["nofile=20000:20000"])';
  }
  if (/netavark/i.test(message) && /no such file/i.test(message)) {
    return "netavark cannot run a program it needs: install iptables (its firewall driver) " +
      "and aardvark-dns";
  }
  if (/cgroup/i.test(message)) {
    return 'the OCI runtime rejects this cgroup setup; try runtime = "runc" under [engine] in containers.conf';
  }
  return "run `podman pod create --name test && podman pod start test` to see the full error";
}

/** Checks read from `podman info`: mode, runtime, cgroups, network backend. */
export function hostChecks(info: PodmanInfo): Check[] {
  const host = info.host;
  const checks: Check[] = [];
  checks.push({
    id: "mode",
    status: "ok",
    summary: host.security.rootless ? "rootless podman" : "rootful podman (running as root)",
  });

  const runtime = host.ociRuntime;
  const runtimeVersion = runtime.version?.split("\n")[0] ?? "";
  const cgroupV1 = host.cgroupVersion === "v1";
  if (cgroupV1 && runtime.name === "crun") {
    checks.push({
      id: "oci-runtime",
      status: "warn",
      summary: `${runtime.name} on cgroups v1: ${runtimeVersion}`,
      hint:
        'crun may refuse cgroups v1 hybrid hosts; set runtime = "runc" under [engine] in containers.conf',
    });
  } else {
    checks.push({ id: "oci-runtime", status: "ok", summary: `${runtime.name}: ${runtimeVersion}` });
  }

  checks.push(
    cgroupV1
      ? {
        id: "cgroups",
        status: "warn",
        summary: "cgroups v1",
        hint: "resource limits and rootless health checks work best on cgroups v2",
      }
      : { id: "cgroups", status: "ok", summary: `cgroups ${host.cgroupVersion}` },
  );

  checks.push(networkBackendCheck(host.networkBackend ?? "cni"));
  return checks;
}

/**
 * The network backend's verdict. On CNI the sandbox still holds (the agent's network is
 * internal and has no DNS either way, and the proxy is its only way out); what breaks is name
 * resolution between containers, because CNI has no aardvark-dns: network aliases and other
 * containers' names do not resolve.
 */
export function networkBackendCheck(backend: string): Check {
  if (backend === "netavark") {
    return {
      id: "network-backend",
      status: "ok",
      summary: "netavark: containers resolve each other's names and network aliases",
    };
  }
  return {
    id: "network-backend",
    status: "warn",
    summary: `${backend}: egress isolation holds, but containers cannot resolve each other's ` +
      "names or network aliases (no aardvark-dns)",
    hint: "install netavark, aardvark-dns and iptables, and set " +
      'network_backend = "netavark" under [network] in containers.conf; if containers ran on ' +
      "CNI before, remove its old bridge (`ip link delete cni-podman0`), which otherwise " +
      "shadows netavark's podman0",
  };
}
