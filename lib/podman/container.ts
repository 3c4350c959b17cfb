/**
 * Container commands: create, run, start, stop, inspect, ps, exec, logs, wait, rm, exists.
 * {@link ContainerSpec} is the one description of a container that the planner fills in and
 * every backend reads.
 */
import { FailedError, PodmanOutputError } from "../errors.ts";
import {
  existsCommand,
  jsonCommand,
  labelArgs,
  labelFilterArgs,
  sortedEntries,
  textCommand,
  timeArgs,
  voidCommand,
} from "./command.ts";
import type { LabelFilter, PodmanCommand } from "./command.ts";
import { ContainerInspectSchema, ContainerListSchema } from "./schemas.ts";
import type { ContainerInspect, ContainerListEntry } from "./schemas.ts";
import type { ContainerSpec, HealthCheck, Mount, SecretRef } from "../plan/spec.ts";

/** The spec types live in lib/plan/spec.ts; re-exported for the driver's callers. */
export type { ContainerSpec, HealthCheck, Mount, SecretRef };

const MOUNT_FIELD_SEPARATORS = /[,=]/;

function mountValue(key: string, value: string): string {
  if (MOUNT_FIELD_SEPARATORS.test(value)) {
    throw new FailedError(
      `cannot mount '${value}': podman's --mount syntax cannot hold ',' or '=' in a ${key}`,
      {
        hint: "rename the path, or mount a parent folder",
      },
    );
  }
  return `${key}=${value}`;
}

/** Renders one mount as the value of `--mount`. */
export function mountArg(mount: Mount): string {
  switch (mount.type) {
    case "volume":
    case "bind": {
      const fields = [
        `type=${mount.type}`,
        mountValue("source", mount.source),
        mountValue("destination", mount.target),
      ];
      if (mount.readonly) fields.push("ro=true");
      if (mount.type === "bind" && mount.relabel) fields.push(`relabel=${mount.relabel}`);
      if (mount.type === "volume" && mount.chown) fields.push("U=true");
      return fields.join(",");
    }
    case "tmpfs": {
      const fields = ["type=tmpfs", mountValue("destination", mount.target)];
      if (mount.sizeBytes !== undefined) fields.push(`tmpfs-size=${mount.sizeBytes}`);
      if (mount.mode !== undefined) fields.push(`tmpfs-mode=${mount.mode}`);
      return fields.join(",");
    }
  }
}

/** Renders one secret as the value of `--secret`. */
export function secretArg(secret: SecretRef): string {
  const fields = [secret.name, `type=${secret.type}`];
  if (secret.target !== undefined) fields.push(`target=${secret.target}`);
  if (secret.uid !== undefined) fields.push(`uid=${secret.uid}`);
  if (secret.gid !== undefined) fields.push(`gid=${secret.gid}`);
  if (secret.mode !== undefined) fields.push(`mode=0${secret.mode.toString(8)}`);
  return fields.join(",");
}

/** The options of `podman container create|run` for a spec, in a stable order. */
export function containerFlags(spec: ContainerSpec): string[] {
  const hc = spec.healthCheck;
  return [
    "--name",
    spec.name,
    ...(spec.pod ? ["--pod", spec.pod] : []),
    ...labelArgs(spec.labels),
    ...sortedEntries(spec.env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    ...(spec.user ? ["--user", spec.user] : []),
    ...(spec.workdir ? ["--workdir", spec.workdir] : []),
    ...(spec.hostname ? ["--hostname", spec.hostname] : []),
    ...(spec.entrypoint ? ["--entrypoint", JSON.stringify(spec.entrypoint)] : []),
    ...(spec.init ? ["--init"] : []),
    ...(spec.capDrop ?? []).flatMap((c) => ["--cap-drop", c]),
    ...(spec.capAdd ?? []).flatMap((c) => ["--cap-add", c]),
    ...(spec.securityOpt ?? []).flatMap((o) => ["--security-opt", o]),
    ...(spec.privileged ? ["--privileged"] : []),
    ...[...(spec.devices ?? []), ...(spec.gpus?.devices ?? [])].flatMap((d) => ["--device", d]),
    ...(spec.readOnlyRootfs ? ["--read-only"] : []),
    ...(spec.userns ? ["--userns", spec.userns] : []),
    ...(spec.mounts ?? []).flatMap((m) => ["--mount", mountArg(m)]),
    ...(spec.secrets ?? []).flatMap((s) => ["--secret", secretArg(s)]),
    ...(hc
      ? [
        "--health-cmd",
        JSON.stringify(hc.command),
        ...(hc.intervalSeconds === undefined
          ? []
          : ["--health-interval", `${hc.intervalSeconds}s`]),
        ...(hc.timeoutSeconds === undefined ? [] : ["--health-timeout", `${hc.timeoutSeconds}s`]),
        ...(hc.retries === undefined ? [] : ["--health-retries", String(hc.retries)]),
        ...(hc.startPeriodSeconds === undefined
          ? []
          : ["--health-start-period", `${hc.startPeriodSeconds}s`]),
      ]
      : []),
    ...(spec.addHosts ?? []).flatMap(({ host, ip }) => ["--add-host", `${host}:${ip}`]),
    ...(spec.networks ?? []).flatMap((n) => ["--network", n]),
    ...(spec.publish ?? []).flatMap((p) => ["--publish", p]),
    ...(spec.interactive ? ["--interactive"] : []),
    ...(spec.tty ? ["--tty"] : []),
    ...(spec.stopTimeoutSeconds === undefined
      ? []
      : ["--stop-timeout", String(spec.stopTimeoutSeconds)]),
    ...(spec.extraArgs ?? []),
  ];
}

function checkSpec(spec: ContainerSpec): void {
  if (spec.pod && (spec.networks?.length || spec.publish?.length || spec.addHosts?.length)) {
    // podman accepts `--network` on a pod member and silently gives it its own namespace.
    throw new FailedError(
      `container ${spec.name}: networks, ports and hosts of a pod member belong to its pod`,
    );
  }
}

/** `podman container create …` (prints the container ID). */
export function containerCreate(spec: ContainerSpec): PodmanCommand<string> {
  checkSpec(spec);
  return textCommand([
    "container",
    "create",
    ...containerFlags(spec),
    spec.image,
    ...(spec.command ?? []),
  ]);
}

/** `podman container run --detach …` (create and start in one call; prints the ID). */
export function containerRun(spec: ContainerSpec): PodmanCommand<string> {
  checkSpec(spec);
  return textCommand([
    "container",
    "run",
    "--detach",
    ...containerFlags(spec),
    spec.image,
    ...(spec.command ?? []),
  ]);
}

/** `podman container start NAME` */
export function containerStart(name: string): PodmanCommand<void> {
  return voidCommand(["container", "start", name]);
}

/** `podman container stop --time S NAME` */
export function containerStop(
  name: string,
  options: { timeoutSeconds?: number } = {},
): PodmanCommand<void> {
  return voidCommand([
    "container",
    "stop",
    ...timeArgs(options.timeoutSeconds),
    name,
  ]);
}

/** `podman container inspect --format json NAME…` */
export function containerInspect(...names: string[]): PodmanCommand<ContainerInspect[]> {
  return jsonCommand(
    ["container", "inspect", "--format", "json", ...names],
    ContainerInspectSchema,
  );
}

/** `podman container ps --all --format json --filter label=…` */
export function containerPs(filter?: LabelFilter): PodmanCommand<ContainerListEntry[]> {
  return jsonCommand(
    ["container", "ps", "--all", "--format", "json", ...labelFilterArgs(filter)],
    ContainerListSchema,
  );
}

/** How to run a command in a running container. */
export interface ExecSpec {
  container: string;
  command: readonly string[];
  user?: string;
  workdir?: string;
  env?: Readonly<Record<string, string>>;
  /**
   * Variables passed by name only (`--env NAME`): podman takes each value from its own
   * environment, so values stay out of argv (and the host's process list).
   */
  envNames?: readonly string[];
  interactive?: boolean;
  tty?: boolean;
  /** `--detach`: podman returns once the command started. */
  detach?: boolean;
}

/** The result of a command run inside a container. */
export interface ExecResult {
  /** The exit code of the command inside the container. */
  code: number;
  stdout: string;
  stderr: string;
}

/** podman's own exit code for "podman itself failed"; 126/127 are the command's. */
export const PODMAN_ERROR_EXIT = 125;

/** The argv of `podman container exec …`. */
export function execArgv(spec: ExecSpec): string[] {
  return [
    "container",
    "exec",
    ...(spec.interactive ? ["--interactive"] : []),
    ...(spec.tty ? ["--tty"] : []),
    ...(spec.detach ? ["--detach"] : []),
    ...(spec.user ? ["--user", spec.user] : []),
    ...(spec.workdir ? ["--workdir", spec.workdir] : []),
    ...sortedEntries(spec.env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    ...[...(spec.envNames ?? [])].sort().flatMap((k) => ["--env", k]),
    spec.container,
    ...spec.command,
  ];
}

/**
 * `podman container exec …`: every exit code except podman's own 125 is the command's
 * answer, returned with its output. Pass `stdin` to feed the command.
 */
export function containerExec(spec: ExecSpec, stdin?: Uint8Array): PodmanCommand<ExecResult> {
  const argv = execArgv({ ...spec, interactive: spec.interactive || stdin !== undefined });
  return {
    argv,
    ...(stdin ? { stdin } : {}),
    accepts: (code) => code !== PODMAN_ERROR_EXIT,
    parse: (out) => ({ code: out.code, stdout: out.stdout, stderr: out.stderr }),
  };
}

/**
 * `podman run --rm --network none --entrypoint ENTRY IMAGE ARGS…`: a throwaway container that
 * reads something from the image, with its output; as {@link containerExec}, every exit code but
 * podman's own 125 is the command's answer.
 */
export function containerRunOnce(
  image: string,
  entrypoint: string,
  args: readonly string[],
): PodmanCommand<ExecResult> {
  return {
    argv: ["run", "--rm", "--network", "none", "--entrypoint", entrypoint, image, ...args],
    accepts: (code) => code !== PODMAN_ERROR_EXIT,
    parse: (out) => ({ code: out.code, stdout: out.stdout, stderr: out.stderr }),
  };
}

/** `podman container logs [--follow] [--tail N] NAME` (output is the container's). */
export function containerLogs(
  name: string,
  options: { follow?: boolean; tail?: number; timestamps?: boolean } = {},
): PodmanCommand<{ stdout: string; stderr: string }> {
  return {
    argv: [
      "container",
      "logs",
      ...(options.follow ? ["--follow"] : []),
      ...(options.tail === undefined ? [] : ["--tail", String(options.tail)]),
      ...(options.timestamps ? ["--timestamps"] : []),
      name,
    ],
    parse: (out) => ({ stdout: out.stdout, stderr: out.stderr }),
  };
}

/** `podman container wait [--condition C] NAME` → the container's exit code. */
export function containerWait(
  name: string,
  options: { condition?: string } = {},
): PodmanCommand<number> {
  const argv = [
    "container",
    "wait",
    ...(options.condition ? ["--condition", options.condition] : []),
    name,
  ];
  return {
    argv,
    parse: (out) => {
      const code = Number.parseInt(out.stdout.trim().split("\n").at(-1) ?? "", 10);
      if (Number.isNaN(code)) throw new PodmanOutputError(["podman", ...argv], "no exit code");
      return code;
    },
  };
}

/** `podman container rm [--force] [--time S] NAME…` (anonymous volumes only with `volumes`). */
export function containerRm(
  names: readonly string[],
  options: { force?: boolean; timeoutSeconds?: number; volumes?: boolean } = {},
): PodmanCommand<void> {
  return voidCommand([
    "container",
    "rm",
    ...(options.force ? ["--force"] : []),
    ...timeArgs(options.timeoutSeconds),
    ...(options.volumes ? ["--volumes"] : []),
    ...names,
  ]);
}

/** `podman container exists NAME` */
export function containerExists(name: string): PodmanCommand<boolean> {
  return existsCommand(["container", "exists", name]);
}

/** `podman healthcheck run NAME`: true when healthy (exit 0), false when unhealthy (exit 1). */
export function healthcheckRun(name: string): PodmanCommand<boolean> {
  return existsCommand(["healthcheck", "run", name]);
}

/** `podman port NAME PORT/tcp` → the host address and port it is published on. */
export function containerPort(
  name: string,
  port: number,
): PodmanCommand<{ host: string; port: number }> {
  const argv = ["port", name, `${port}/tcp`];
  return {
    argv,
    parse: (out) => {
      const line = out.stdout.trim().split("\n")[0] ?? "";
      const m = /^(.*):(\d+)$/.exec(line);
      if (!m) {
        throw new PodmanOutputError(
          ["podman", ...argv],
          `no published address in ${JSON.stringify(line)}`,
        );
      }
      return { host: m[1] ?? "", port: Number(m[2]) };
    },
  };
}
