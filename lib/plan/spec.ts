/**
 * The backend-neutral descriptions of what a workspace is made of: containers, their mounts,
 * secrets and health checks, the pod, networks and image builds. The planner fills them in;
 * every backend reads them (podman turns them into argv, Quadlet into units). Nothing here
 * knows how a backend spells them.
 */

/** A mount of a container. */
export type Mount =
  | {
    type: "volume";
    source: string;
    target: string;
    readonly?: boolean;
    /**
     * podman hands the volume's files to the container's user when the container starts
     * (`U=true`: a recursive lchown that follows no symlinks, of files owned by anyone else).
     */
    chown?: boolean;
  }
  | {
    type: "bind";
    source: string;
    target: string;
    readonly?: boolean;
    relabel?: "shared" | "private";
  }
  | { type: "tmpfs"; target: string; sizeBytes?: number; mode?: string };

/**
 * A podman secret given to a container. `type: "mount"` puts it in a file (default
 * `/run/secrets/NAME`), which podman 4.3 keeps out of `container inspect`; `type: "env"`
 * shows its value in `container inspect` there, so devaipod does not use it for keys.
 */
export interface SecretRef {
  name: string;
  type: "mount" | "env";
  /** File path (mount) or variable name (env). */
  target?: string;
  uid?: number;
  gid?: number;
  /** Octal file mode, e.g. 0o400. */
  mode?: number;
}

/** A container health check; `command` runs without a shell. */
export interface HealthCheck {
  command: readonly string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

/** Everything devaipod sets on a container. */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Pod to join. Never combined with `networks`: a pod member shares the pod's namespace. */
  pod?: string;
  labels?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string>>;
  user?: string;
  workdir?: string;
  hostname?: string;
  /** Replaces the image's entrypoint (exec form). `[]` clears it. */
  entrypoint?: readonly string[];
  /** Arguments after the image (the command). */
  command?: readonly string[];
  /** Run an init process as PID 1 that reaps zombies and forwards signals. */
  init?: boolean;
  capDrop?: readonly string[];
  capAdd?: readonly string[];
  securityOpt?: readonly string[];
  privileged?: boolean;
  /** Host devices to add (`--device`), e.g. `/dev/net/tun`. */
  devices?: readonly string[];
  /**
   * GPUs (lib/gpu): `--device` values (CDI names such as `nvidia.com/gpu=all`, or ROCm's nodes),
   * and the Kubernetes extended resources they stand for, one each.
   */
  gpus?: { devices: readonly string[]; resources: readonly string[] };
  readOnlyRootfs?: boolean;
  mounts?: readonly Mount[];
  secrets?: readonly SecretRef[];
  healthCheck?: HealthCheck;
  /** `--add-host` entries (not for pod members: the pod holds /etc/hosts). */
  addHosts?: readonly { host: string; ip: string }[];
  /** Networks to join (only for containers outside a pod). */
  networks?: readonly string[];
  /** `--publish` values (only outside a pod). */
  publish?: readonly string[];
  /** Keep stdin open / allocate a TTY for the main process. */
  interactive?: boolean;
  tty?: boolean;
  /** Seconds podman waits after the stop signal before SIGKILL. */
  stopTimeoutSeconds?: number;
  /** `--userns` mode, e.g. `keep-id`. */
  userns?: string;
  /** Options taken verbatim from a trusted config (devcontainer `runArgs`), placed last. */
  extraArgs?: readonly string[];
}

/** What `podman pod create` makes. */
export interface PodSpec {
  name: string;
  labels?: Readonly<Record<string, string>>;
  /** `--publish` values, e.g. `127.0.0.1:8080:8080`. */
  publish?: readonly string[];
  /** Networks the pod (its infra container) joins. */
  networks?: readonly string[];
  /** `--add-host name:ip` entries shared by every member. */
  addHosts?: readonly { host: string; ip: string }[];
  hostname?: string;
  /** The image of the infra container (default: podman's pause image). */
  infraImage?: string;
  /** `--userns` mode, e.g. `keep-id`. */
  userns?: string;
}

/** What `podman network create` makes. */
export interface NetworkSpec {
  name: string;
  labels?: Readonly<Record<string, string>>;
  /** No route out of the network (`--internal`). */
  internal?: boolean;
  /** No DNS server on the network (`--disable-dns`); with `internal`, no resolver leak either. */
  disableDns?: boolean;
  /** e.g. `10.89.7.0/24`, for static addresses of peers. */
  subnet?: string;
}

/** What `podman build` builds. */
export interface BuildSpec {
  /** Tag of the result, e.g. `localhost/devaipod/app:abc123`. */
  tag: string;
  /** The Containerfile/Dockerfile. */
  file: string;
  /** The build context directory. */
  context: string;
  buildArgs?: Readonly<Record<string, string>>;
  target?: string;
  labels?: Readonly<Record<string, string>>;
  /** Pull policy for base images; `never` keeps builds offline. */
  pull?: "always" | "missing" | "never" | "newer";
  /** Extra `podman build` options taken verbatim from a trusted config (`build.options`). */
  extraArgs?: readonly string[];
}
