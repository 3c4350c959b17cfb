/**
 * The pure plan of a workspace: from a resolved devcontainer.json (or a bare image) and the
 * user's choices to the pod, volumes, secrets and containers that `up` creates. Nothing here
 * touches podman; `lib/pods/up.ts` applies it.
 *
 * Values only known while applying (the workspace user's uid, once its container runs; the
 * networks' addresses; the commit the project was cloned at) are named bindings in the plan
 * (lib/plan/bindings.ts), filled by the backend that applies it.
 */
import { posix } from "node:path";
import { agentKeys } from "../agents/llm_keys.ts";
import {
  AGENT_PACKAGE_DIR,
  type AgentContext,
  type AgentProfile,
  agentProgram,
  OPENCODE_PROFILE,
  TASK_STATE_DIR,
  type TaskOutput,
} from "../agents/profiles.ts";
import { agentProviderEnv, PROVIDER_PORT, providerOfKey } from "../agents/providers.ts";
import type { Provider } from "../agents/providers.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { ConfigError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import type { ContainerSpec, Mount, NetworkSpec, PodSpec, SecretRef } from "./spec.ts";
import {
  bind,
  type BindingValues,
  bindNumber,
  copyBindings,
  type Named,
  type Planned,
  t,
  Template,
} from "./bindings.ts";
import { entryProblems } from "../proxy/allowlist.ts";
import { SIDECAR_HARDENING, SIDECAR_UID } from "./sidecar.ts";
import {
  GATOR_HOST,
  GATOR_IP,
  GATOR_SECRET_ENV,
  GATOR_URL,
  gatorBearerName,
  gatorContainer,
  type GatorInput,
  gatorSecretName,
  type PlannedGator,
  withGatorMcp,
} from "./gator_plan.ts";
import { VERSION } from "../version.ts";

/** "uid:gid" of the workspace user, known once its container runs. */
export const AGENT_USER: Template = t`${bind("user.uid")}:${bind("user.gid")}`;
/** The commit the agent's clone starts from, known once the project is cloned. */
export const AGENT_BASE: Template = bind("copy.commit");

/** The agent server's port inside the pod. */
export const AGENT_PORT = 4096;
/** Where the injected agent binary appears in both containers. */
export const AGENT_BIN = "/opt/devaipod/bin/opencode";
/** Where the shims appear in the workspace. */
export const SHIMS_DIR = "/opt/devaipod/shims";
/**
 * Where the agent's own clone (its work volume) appears, read-only, in the workspace: what
 * `diff`, `fetch` and `status` read. The agent itself has it at the workspace folder.
 */
export const AGENT_TREE = "/devaipod/agent";
/** The agent's HOME (its own volume). */
export const AGENT_HOME = "/devaipod/home";
/** Where the agent's keys are mounted, one file per variable. */
export const AGENT_ENV_DIR = "/run/secrets/devaipod-env";
/**
 * Where the workspace's secrets are mounted, one file per variable: devcontainer.json `secrets`
 * and the user config's `[trusted] secrets`. Every workspace session and hook starts through
 * {@link withWorkspaceEnv}, which turns them into variables.
 */
export const WORKSPACE_ENV_DIR = "/run/secrets/devaipod-workspace-env";
/** The agent server's password in the workspace (for the shims). */
export const PASSWORD_FILE = "/run/secrets/devaipod-agent-password";
/** The name under which the password reaches the agent. */
export const PASSWORD_ENV = "OPENCODE_SERVER_PASSWORD";

/**
 * The agent's entrypoint: turns each key file into an environment variable, then runs the agent.
 * Keys thus never appear in `podman inspect`, only inside the agent's process environment.
 */
export const ENV_LOADER = envLoader(AGENT_ENV_DIR);

/** A shell script that exports each file in `dir` as a variable of its name, then runs `"$@"`. */
function envLoader(dir: string): string {
  return `for f in ${dir}/*; do [ -f "$f" ] && export "\${f##*/}=$(cat "$f")"; done; exec "$@"`;
}

/**
 * A workspace command with the workspace's secrets in its environment: how hooks, `exec`,
 * `ssh` and every later session start, so that the values never appear in `podman inspect`.
 */
export function withWorkspaceEnv(command: readonly string[]): string[] {
  return ["/bin/sh", "-c", envLoader(WORKSPACE_ENV_DIR), "devaipod-env", ...command];
}

/**
 * An agent command with the agent's keys in its environment (as its entrypoint loads them): how
 * a CLI agent's task and `attach` start there.
 */
export function withAgentEnv(command: readonly string[]): string[] {
  return ["/bin/sh", "-c", ENV_LOADER, "devaipod-agent", ...command];
}

/** The workspace's idle main process (when the config overrides the image's command, the default). */
export const IDLE_COMMAND = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done";

/** The agent's health check: its own /global/health with the password, by whatever client the image has. */
export const HEALTH_PROBE = [
  `pw=$(cat ${AGENT_ENV_DIR}/${PASSWORD_ENV}); url=http://127.0.0.1:${AGENT_PORT}/global/health`,
  'if command -v curl >/dev/null 2>&1; then curl -fsS -m 4 -u "opencode:$pw" "$url" >/dev/null',
  'elif command -v wget >/dev/null 2>&1; then wget -q -T 4 -O /dev/null --user=opencode --password="$pw" "$url"',
  // Without an HTTP client: is anything listening on the port (0x1000 = 4096, state 0A = LISTEN)?
  `else grep -qE ':${
    AGENT_PORT.toString(16).toUpperCase().padStart(4, "0")
  } [0-9A-F:]+ 0A' /proc/net/tcp /proc/net/tcp6; fi`,
].join("; ");

/** Prints the user's uid and gid, then `oc` when the image has an `oc` of its own (off devaipod's shims). */
export const USER_AND_OC = 'id -u "$@" && id -g "$@" && ' +
  `{ PATH=$(printf %s "$PATH" | sed 's#/opt/devaipod/shims:##'); if command -v oc >/dev/null 2>&1; then echo oc; else echo none; fi; }`;

/**
 * Addresses, known once the networks exist ({@link networkAddresses} learns them): the internal
 * network (the agent and the proxy only) and its subnet, …
 */
const PROXY_IP: Template = bind("net.proxy");
const AGENT_IP: Template = bind("net.agent");
const INTERNAL_SUBNET: Template = bind("net.internalSubnet");
/** … and the link network (the pod and the proxy only) and its subnet. */
const LINK_PROXY_IP: Template = bind("net.linkProxy");
const POD_IP: Template = bind("net.pod");
const LINK_SUBNET: Template = bind("net.linkSubnet");
/**
 * Names the containers use for each other: the agent finds the proxy on the internal network; the
 * workspace finds "the agent" at the proxy's relay on the link network.
 */
export const PROXY_HOST = "proxy.devaipod";
export const AGENT_HOST = "agent.devaipod";
/** The proxy's port. */
export const PROXY_PORT = 3128;
/** Where the proxy's allowlist file appears in its container. */
export const PROXY_ALLOW_FILE = "/opt/devaipod/allow";

/** How the proxy sidecar runs devaipod's code: Deno and the sources, or the compiled binary. */
export type ProxyRuntime = { kind: "deno"; deno: string; sources: string } | {
  kind: "binary";
  binary: string;
};

/** Egress isolation: the agent alone on an internal network, leaving only through the proxy. */
export interface IsolationInput {
  /** The normal network the proxy and the pod use to reach the world. */
  egressNetwork: string;
  runtime: ProxyRuntime;
  /** Host path of the allowlist file (mounted read-only into the proxy). */
  allowFile: string;
  /**
   * More hosts the agent may reach, after its profile's and `customizations.devaipod.allowedDomains`:
   * the user config's `[network-isolation] allowed_domains`, then `up --allow` (checked by then).
   */
  allow?: readonly string[];
  /** The user config's `[providers]`: a gateway in a provider's place, by provider id. */
  providerUpstreams?: Readonly<Record<string, string>>;
  /** Host path of more CA certificates (PEM) the proxy trusts for provider calls. */
  providerCaFile?: string;
}

/** Where the proxy holds the provider keys, one file per variable. */
export const PROXY_KEYS_DIR = "/run/devaipod-keys";
/** Where the proxy finds {@link IsolationInput.providerCaFile}. */
export const PROVIDER_CA_FILE = "/run/devaipod-provider-ca.pem";

/** A secret's value: a variable of the host's environment, or a password made when applying. */
export type SecretSource = { env: string } | { generated: "password" };

/** A podman secret the plan creates, and which variable it becomes in which container. */
export interface PlannedSecret {
  name: string;
  /**
   * The variable name, and the file name under {@link AGENT_ENV_DIR} (agent secrets) or
   * {@link WORKSPACE_ENV_DIR} (workspace secrets).
   */
  variable: string;
  /**
   * Which container receives it: as a variable (the agent, the workspace; the password also
   * reaches the workspace as a file), or as the key file of a provider endpoint (the proxy).
   */
  container: "agent" | "workspace" | "proxy" | "gator";
  /** Where its value comes from when it is created; the plan never holds a value. */
  source: SecretSource;
  labels: Record<string, string>;
}

/** A volume the plan creates; `keep: true` volumes survive everything but `delete --volumes`. */
export interface PlannedVolume {
  name: string;
  labels: Planned<Record<string, string>>;
  role: typeof ROLES.workspaceVolume | typeof ROLES.agentHome | typeof ROLES.agentWork;
}

/** A further project of a multi-project workspace, as `up` is given it. */
export interface ProjectInput {
  /** Its folder under /workspaces (unique in the workspace). */
  name: string;
  /** Its folder on the host (for a git URL, the clone devaipod made). */
  root: string;
  /** Whether it is a git repository (then the agent gets a branch of its own in its clone). */
  git: boolean;
  /** What the user named: a path or a git URL (kept for `rebuild`). */
  source: string;
}

/** A further project in the plan: its volumes and where they are mounted. */
export interface PlannedProject extends ProjectInput {
  /** Where both containers see it: `/workspaces/NAME`. */
  target: string;
  workVolume: string;
  agentVolume: string;
  /** Where the workspace sees the agent's clone of it, read-only. */
  agentTree: string;
}

/** Where a further project's agent clone is, read-only, in the workspace container. */
export function agentTreeOf(project: string): string {
  return `${AGENT_TREE}-projects/${project}`;
}

/** Everything `up` creates, in order. */
export interface PodPlan {
  /** The workspace name without the `devaipod-` prefix. */
  workspace: string;
  /** The pod's name: `devaipod-<workspace>`. */
  pod: Named<PodSpec>;
  image: string;
  volumes: PlannedVolume[];
  secrets: PlannedSecret[];
  /** The volume holding the project (the first of `volumes`). */
  workspaceVolume: string;
  /**
   * The volume holding the agent's own clone (the last of `volumes`; its `agent-base` label is
   * {@link AGENT_BASE} until the project is cloned): the agent's at the workspace mount target,
   * the workspace's read-only at {@link AGENT_TREE}.
   */
  agentWorkVolume: string;
  /** The branch of the agent's clone: {@link agentBranch}. */
  agentBranch: string;
  /** A multi-project workspace's further projects (each with its two volumes). */
  projects: PlannedProject[];
  workspaceContainer: Named<ContainerSpec>;
  agentContainer: Named<ContainerSpec>;
  /** The agent profile's name, its mode, and for a CLI agent how a task runs and how it attaches. */
  agent: PlannedAgent;
  /** forwardPorts published on 127.0.0.1 (same port on the host). */
  forwardPorts: number[];
  /** Where the project's clone goes: the workspace volume, mounted here. */
  workspaceMountTarget: string;
  /** The workspace folder in both containers. */
  workdir: string;
  /** The user lifecycle hooks and sessions run as in the workspace (image default when absent). */
  remoteUser?: string;
  task?: string;
  /**
   * With egress isolation: the internal network (the agent and the proxy), the link network (the
   * pod and the proxy, whose relay is the workspace's one way to the agent) and the proxy sidecar.
   */
  isolation?: {
    network: NetworkSpec;
    linkNetwork: NetworkSpec;
    proxyContainer: Named<ContainerSpec>;
    /** How the proxy (and the agent client in its container) runs devaipod's code. */
    runtime: ProxyRuntime;
    /** Host path of the allowlist file that `up` writes (the proxy re-reads it). */
    allowFile: string;
    /** The agent's allowlist, each entry once: what `up` writes to {@link allowFile}. */
    allow: string[];
    /** The gator sidecar, when the workspace has one. */
    gator?: PlannedGator;
  };
  /** The agent's URL as the workspace sees it. */
  agentUrl: string;
}

/** What the planner needs besides the resolved config. */
export interface PlanInput {
  workspace: string;
  resolved?: ResolvedConfig;
  /** The image to run (a built tag for Dockerfile configs). */
  image: string;
  projectPath: string;
  hostEnv: Readonly<Record<string, string>>;
  /**
   * Host path of the agent binary to inject (usually {@link bind}`("agent.binary")`: it depends
   * on the image's architecture); absent when the image's own is used.
   */
  agentBinary?: string | Template;
  /** Host folder holding the shims (mounted read-only). */
  shimsDir: string;
  /** The agent profile (default: opencode). */
  agent?: AgentProfile;
  /** GPUs (lib/gpu's choice): their `--device` values, resources, and which containers get them. */
  gpu?: {
    devices: readonly string[];
    resources: readonly string[];
    targets: readonly ("agent" | "workspace")[];
  };
  /** PATH of the image (the shims go in front of it); default {@link bind}`("image.path")`. */
  imagePath?: string | Template;
  /** Whether the project is a git repository (default true): the agent's clone records its base. */
  git?: boolean;
  /** Further projects, each at /workspaces/NAME with a volume and an agent clone of its own. */
  projects?: readonly ProjectInput[];
  task?: string;
  /** Extra variables the agent may receive (user config; devcontainer.json's are added). */
  envAllowlist?: readonly string[];
  /** Variables for both containers (the user config's `[env.vars]`). */
  envVars?: Readonly<Record<string, string>>;
  /** Variables for the workspace only, never the agent (the user config's `[trusted.env]`). */
  trustedEnv?: Readonly<Record<string, string>>;
  /**
   * devcontainer.json's `secrets` that are set in the host's environment (their names: the
   * values are read from there when the secrets are made): podman secrets of this workspace,
   * delivered to the workspace only.
   */
  workspaceSecrets?: readonly string[];
  /**
   * The user config's `[trusted] secrets`: variable → an existing podman secret of the user's,
   * mounted into the workspace (never the agent), never created or removed by devaipod.
   */
  userSecrets?: Readonly<Record<string, string>>;
  /** Egress isolation (the agent behind the proxy); absent: the agent shares the pod's network. */
  isolation?: IsolationInput;
  /** The gator sidecar (needs {@link isolation}: it lives on the internal network). */
  gator?: GatorInput;
  /** More pod labels (where a URL source came from). */
  labels?: Readonly<Record<string, string>>;
  /**
   * devaipod's own runtime, mounted read-only into the workspace under /opt/devaipod for the SSH
   * bridge's helper (file transfer, forwarding): the binary, the checkout, or (run from a URL) the
   * runtime fetched into the cache. Absent: the helper is not there (`ssh` still opens shells).
   */
  helperRuntime?: ProxyRuntime;
}

/** The agent of a plan. */
export interface PlannedAgent {
  name: string;
  title: string;
  mode: "server" | "cli";
  /** CLI: the argv (in the agent container, its workdir) that does the task and exits. */
  task?: readonly string[];
  /** CLI: the argv of its interface, fresh and resuming the task's conversation. */
  attach?: { fresh: readonly string[]; resume: readonly string[] };
  /** CLI: how its task run prints the answer. */
  output?: TaskOutput;
}

/**
 * A CLI agent's task runner: runs its argv with the output and exit status in
 * `$HOME/.devaipod` (`task.out`, `task.err`, then `task.exit`), which `run` and `status` read.
 */
export const TASK_RUNNER =
  `d="$HOME/${TASK_STATE_DIR}"; mkdir -p "$d" && rm -f "$d/task.exit" && ` +
  `{ "$@" >"$d/task.out" 2>"$d/task.err" </dev/null; echo $? >"$d/task.exit"; }`;

/**
 * How the human attaches to a CLI agent: its interface inside tmux when the image has it and
 * this is a terminal (detach with C-b d; attaching again finds the same session), else directly.
 */
export const ATTACH_SCRIPT = "if [ -t 0 ] && command -v tmux >/dev/null 2>&1; then " +
  'exec tmux new-session -A -s devaipod-agent "$@"; fi; exec "$@"';

/** The pod's name for a workspace. */
export function podName(workspace: string): string {
  return `devaipod-${workspace}`;
}

/** The branch the agent's clone works on: `devaipod/<workspace>`. */
export function agentBranch(workspace: string): string {
  return `devaipod/${workspace}`;
}

/** The volume holding the agent's own clone: `devaipod-<workspace>-agent-work`. */
export function agentWorkVolume(workspace: string): string {
  return `${podName(workspace)}-agent-work`;
}

/** PATH when the image sets none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Options of podman run that would take a pod member out of its pod, or clash with devaipod. */
const FORBIDDEN_RUN_ARGS =
  /^(--network|--net|-p|--publish|--publish-all|-P|--pod|--name|--add-host|--hostname|-h|--dns|--userns|--rm)(=|$)/;

function checkRunArgs(resolved: ResolvedConfig | undefined): string[] {
  const runArgs = resolved?.config.runArgs ?? [];
  const bad = runArgs.find((a) => FORBIDDEN_RUN_ARGS.test(a));
  if (bad) {
    throw new ConfigError(
      `runArgs: "${bad}" cannot be used: devaipod runs the workspace in a pod, which owns networking and names`,
      {
        location: { file: resolved?.configFile ?? "devcontainer.json" },
        hint: "use forwardPorts for ports; remove network options from runArgs",
      },
    );
  }
  return runArgs;
}

/**
 * What `customizations.devaipod.nestedContainers` gives the workspace (never the agent), in place
 * of the config's `privileged`, `capAdd`, `securityOpt` and security runArgs: upstream devaipod's
 * set, the smallest with which podman runs inside. Tried item by item on Debian 12 (podman 4.3.1,
 * runc, cgroups v1, no SELinux) with podman inside, rootful and rootless:
 * - `SYS_ADMIN`: rootful podman mounts and makes namespaces; rootless podman's newuidmap cannot
 *   map the user namespace without it.
 * - `NET_ADMIN`: rootful podman sets up each inner container's network, its loopback included.
 * - `unmask=/proc/*`: the inner runtime writes /proc/sys (net.ipv4.ping_group_range), which
 *   podman mounts read-only.
 * - `unmask=/sys/fs/cgroup`: the cgroup tree writable, for inner podman to manage cgroups where
 *   it can (cgroups v2); on cgroups v1 the runtime still mounts each controller read-only, and
 *   the inner podman runs with `cgroups = "disabled"`.
 * - `label=disable`: SELinux hosts, where container_t may not mount proc or sysfs (this host has
 *   no SELinux, so it is not exercised here).
 * - `seccomp=unconfined`: podman's default profile allowed everything here once SYS_ADMIN was
 *   granted; kept for stricter profiles (upstream's set).
 * - `/dev/net/tun`: rootless podman's networking (slirp4netns, pasta) opens it.
 * Nothing else: the inner storage is the image's affair (vfs, overlay on a volume, or
 * fuse-overlayfs, which would also need /dev/fuse), and so are its runtime and cgroup settings.
 */
export const NESTED_CONTAINERS: {
  capAdd: readonly string[];
  securityOpt: readonly string[];
  devices: readonly string[];
} = {
  capAdd: ["SYS_ADMIN", "NET_ADMIN"],
  securityOpt: [
    "unmask=/proc/*",
    "unmask=/sys/fs/cgroup",
    "label=disable",
    "seccomp=unconfined",
  ],
  devices: ["/dev/net/tun"],
};

/** runArgs that widen a container's privileges; `nestedContainers` replaces them. */
const SECURITY_RUN_ARGS = /^(--privileged|--cap-add|--security-opt)(=|$)/;

/**
 * runArgs without `--privileged`, `--cap-add` and `--security-opt` (with their values, in either
 * the `--flag=value` or the `--flag value` form).
 */
export function withoutSecurityRunArgs(runArgs: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < runArgs.length; i++) {
    const arg = runArgs[i] ?? "";
    const m = SECURITY_RUN_ARGS.exec(arg);
    if (!m) {
      out.push(arg);
      continue;
    }
    // `--cap-add X` and `--security-opt X` take the next element; `--privileged` does not.
    if (m[2] === "" && m[1] !== "--privileged") i++;
  }
  return out;
}

/** Parses a devcontainer mount (string or object) into a podman mount; binds and volumes only. */
export function configMount(mount: unknown, workspace: string): Mount {
  let fields: Record<string, string>;
  if (typeof mount === "string") {
    fields = {};
    for (const part of mount.split(",")) {
      const eq = part.indexOf("=");
      const key = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? "true" : part.slice(eq + 1);
      fields[{ src: "source", destination: "target", dst: "target" }[key] ?? key] = value;
    }
  } else {
    fields = Object.fromEntries(
      Object.entries(mount as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  const type = fields.type ?? "volume";
  const target = fields.target;
  if (!target) throw new ConfigError(`mounts: ${JSON.stringify(mount)} has no target`);
  const readonly = fields.readonly === "true" || fields.ro === "true" || fields.readonly === "1";
  if (type === "bind") {
    if (!fields.source) throw new ConfigError(`mounts: the bind mount to ${target} has no source`);
    return { type: "bind", source: fields.source, target, ...(readonly ? { readonly } : {}) };
  }
  if (type === "volume") {
    // An anonymous volume becomes a named one of this workspace, so that it can be found again.
    const source = fields.source ||
      `${podName(workspace)}-anon-${
        target.replaceAll(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")
      }`;
    return { type: "volume", source, target, ...(readonly ? { readonly } : {}) };
  }
  if (type === "tmpfs") return { type: "tmpfs", target };
  throw new ConfigError(`mounts: type ${type} is not supported (use bind, volume or tmpfs)`);
}

/** The container path the project's volume is mounted at. */
export function workspaceMountTarget(
  resolved: ResolvedConfig | undefined,
  projectPath: string,
): string {
  const mount = resolved?.workspaceMount;
  if (mount) {
    for (const part of mount.split(",")) {
      const [key, value] = part.split("=");
      if ((key === "target" || key === "destination" || key === "dst") && value) {
        return value.replace(/^"|"$/g, "");
      }
    }
  }
  return resolved?.containerWorkspaceFolder ??
    posix.join("/workspaces", posix.basename(projectPath));
}

/** Plans a workspace. */
export function planPod(input: PlanInput): PodPlan {
  const { workspace, resolved } = input;
  const name = podName(workspace);
  const config = resolved?.config;
  const base = { [LABELS.workspace]: workspace };
  const target = workspaceMountTarget(resolved, input.projectPath);
  const workdir = resolved?.containerWorkspaceFolder ?? target;
  const nested = resolved?.devaipod.nestedContainers === true;
  const configRunArgs = checkRunArgs(resolved);
  const runArgs = nested ? withoutSecurityRunArgs(configRunArgs) : configRunArgs;

  const workVolume: PlannedVolume = {
    name: `${name}-work`,
    role: ROLES.workspaceVolume,
    labels: { ...base, [LABELS.role]: ROLES.workspaceVolume },
  };
  const homeVolume: PlannedVolume = {
    name: `${name}-agent-home`,
    role: ROLES.agentHome,
    labels: { ...base, [LABELS.role]: ROLES.agentHome },
  };
  const agentWork: PlannedVolume = {
    name: agentWorkVolume(workspace),
    role: ROLES.agentWork,
    labels: {
      ...base,
      [LABELS.role]: ROLES.agentWork,
      ...(input.git === false ? {} : { [LABELS.agentBase]: AGENT_BASE }),
    },
  };
  const projects: PlannedProject[] = (input.projects ?? []).map((p) => ({
    ...p,
    target: `/workspaces/${p.name}`,
    workVolume: `${name}-work-${p.name}`,
    agentVolume: `${agentWorkVolume(workspace)}-${p.name}`,
    agentTree: agentTreeOf(p.name),
  }));
  const projectVolumes: PlannedVolume[] = projects.flatMap((p) => [
    {
      name: p.workVolume,
      role: ROLES.workspaceVolume,
      labels: { ...base, [LABELS.role]: ROLES.workspaceVolume, [LABELS.projectName]: p.name },
    },
    {
      name: p.agentVolume,
      role: ROLES.agentWork,
      labels: {
        ...base,
        [LABELS.role]: ROLES.agentWork,
        [LABELS.projectName]: p.name,
        ...(p.git ? { [LABELS.agentBase]: bind(copyBindings(p.name).commit) } : {}),
      },
    },
  ]);
  const volumes = [workVolume, homeVolume, ...projectVolumes, agentWork];
  const profile = input.agent ?? OPENCODE_PROFILE;
  const cli = profile.mode === "cli";
  // The gator lives on the internal network: without the proxy's isolation there is none.
  const gatorIn = input.isolation ? input.gator : undefined;
  const keys = agentKeys(input.hostEnv, [
    ...(input.envAllowlist ?? []),
    ...(resolved?.devaipod.envAllowlist ?? []),
  ], profile.keys);
  const secretLabels = { ...base, [LABELS.role]: ROLES.secret };
  const secretName = (variable: string) => `${name}-${variable.toLowerCase().replaceAll("_", "-")}`;
  const passwordSecret: PlannedSecret = {
    name: secretName(PASSWORD_ENV),
    variable: PASSWORD_ENV,
    container: "agent",
    source: { generated: "password" },
    labels: secretLabels,
  };
  // With the proxy, the keys of the providers it serves stay there; the agent gets placeholders.
  const served = input.isolation ? Object.keys(keys).flatMap((k) => providerOfKey(k) ?? []) : [];
  const secrets: PlannedSecret[] = [
    passwordSecret,
    ...Object.keys(keys).map((variable): PlannedSecret => ({
      name: secretName(variable),
      variable,
      container: served.some((p) => p.key === variable) ? "proxy" : "agent",
      source: { env: variable },
      labels: secretLabels,
    })),
    // The gator's: the bearer secret the agent holds, and the tokens it alone reads.
    ...(gatorIn
      ? [
        {
          name: gatorBearerName(name),
          variable: GATOR_SECRET_ENV,
          container: "agent",
          source: { generated: "password" },
          labels: secretLabels,
        } satisfies PlannedSecret,
        ...Object.entries(gatorIn.tokens).flatMap(([variable, from]): PlannedSecret[] =>
          "trusted" in from
            ? [{
              name: gatorSecretName(name, variable),
              variable,
              container: "gator",
              source: { env: variable },
              labels: secretLabels,
            }]
            : []
        ),
      ]
      : []),
    // A name of their own: a workspace secret may share its variable with an agent key.
    ...(input.workspaceSecrets ?? []).map((variable): PlannedSecret => ({
      name: `${name}-ws-${variable}`,
      variable,
      container: "workspace",
      source: { env: variable },
      labels: secretLabels,
    })),
  ];
  const workspaceSecretRefs: SecretRef[] = [
    { name: passwordSecret.name, type: "mount", target: PASSWORD_FILE, mode: 0o444 },
    ...secrets.filter((s) => s.container === "workspace").map((s): SecretRef => ({
      name: s.name,
      type: "mount",
      target: `${WORKSPACE_ENV_DIR}/${s.variable}`,
      mode: 0o444,
    })),
    ...Object.entries(input.userSecrets ?? {}).map(([variable, secret]): SecretRef => ({
      name: secret,
      type: "mount",
      target: `${WORKSPACE_ENV_DIR}/${variable}`,
      mode: 0o444,
    })),
  ];

  const gpusFor = (role: "agent" | "workspace"): Pick<ContainerSpec, "gpus"> =>
    input.gpu?.devices.length && input.gpu.targets.includes(role)
      ? { gpus: { devices: input.gpu.devices, resources: input.gpu.resources } }
      : {};
  const iso = input.isolation;
  const internalNetwork = `${name}-internal`;
  const linkNetwork = `${name}-link`;
  const proxyUrl = `http://${PROXY_HOST}:${PROXY_PORT}`;
  const forwardPorts = (config?.forwardPorts ?? []).filter((p): p is number =>
    typeof p === "number"
  );
  const pod: Named<PodSpec> = {
    name,
    hostname: workspace,
    labels: {
      ...base,
      [LABELS.role]: ROLES.pod,
      [LABELS.project]: input.projectPath,
      ...(projects.length
        ? {
          [LABELS.projects]: JSON.stringify(
            projects.map((p) => ({ name: p.name, source: p.source })),
          ),
        }
        : {}),
      [LABELS.image]: input.image,
      ...(resolved ? { [LABELS.configFile]: resolved.configFile } : {}),
      [LABELS.version]: VERSION,
      ...(input.task !== undefined ? { [LABELS.task]: input.task } : {}),
      ...(input.agent ? { [LABELS.agent]: profile.name } : {}),
      ...(forwardPorts.length ? { [LABELS.ports]: forwardPorts.join(",") } : {}),
      ...(iso ? { [LABELS.egressNetwork]: iso.egressNetwork } : {}),
      ...(input.labels ?? {}),
    },
    publish: [
      ...forwardPorts.map((p) => `127.0.0.1:${p}:${p}`),
      ...(iso ? [] : [`127.0.0.1::${AGENT_PORT}`]),
    ],
    ...(iso
      ? {
        // Not on the internal network: the agent has no way to the workspace. "The agent" is the
        // proxy's relay on the link network.
        networks: [iso.egressNetwork, t`${linkNetwork}:ip=${POD_IP}`],
        addHosts: [{ host: AGENT_HOST, ip: LINK_PROXY_IP }],
      }
      : {}),
  };

  // opencode's binary in both containers (the workspace attaches with it); a CLI agent's package
  // folder in the agent's alone.
  const agentBinaryMount: Planned<Mount>[] = input.agentBinary
    ? [{
      type: "bind",
      source: input.agentBinary,
      target: cli ? AGENT_PACKAGE_DIR : AGENT_BIN,
      readonly: true,
    }]
    : [];
  const workspaceVolumeMount: Mount = { type: "volume", source: workVolume.name, target };
  // The agent's own clone: its at the same path (workdir, hooks and paths as in the workspace),
  // handed to its user by podman at each start; the workspace's read-only, for diff and fetch.
  const agentWorkMount: Mount = { type: "volume", source: agentWork.name, target, chown: true };
  const agentTreeMount: Mount = {
    type: "volume",
    source: agentWork.name,
    target: AGENT_TREE,
    readonly: true,
  };
  const overrideCommand = config?.overrideCommand ?? true;
  // remoteEnv for sessions (ssh, exec) as for hooks; a null value unsets, so it is left out.
  const remoteEnvEntries = Object.entries(config?.remoteEnv ?? {}).filter((e): e is [
    string,
    string,
  ] => e[1] !== null);
  const remoteEnv = remoteEnvEntries.length ? Object.fromEntries(remoteEnvEntries) : undefined;

  const workspaceContainer: Named<ContainerSpec> = {
    name: `${name}-workspace`,
    image: input.image,
    pod: name,
    labels: {
      ...base,
      [LABELS.role]: ROLES.workspace,
      ...(config?.remoteUser ? { [LABELS.remoteUser]: config.remoteUser } : {}),
      ...(remoteEnv ? { [LABELS.remoteEnv]: JSON.stringify(remoteEnv) } : {}),
    },
    env: {
      ...(config?.containerEnv ?? {}),
      ...(input.envVars ?? {}),
      ...(input.trustedEnv ?? {}),
      PATH: t`${SHIMS_DIR}:${input.imagePath ?? bind("image.path")}`,
    },
    ...(config?.containerUser ? { user: config.containerUser } : {}),
    workdir,
    init: true,
    ...(nested
      ? {
        capAdd: NESTED_CONTAINERS.capAdd,
        securityOpt: NESTED_CONTAINERS.securityOpt,
        devices: NESTED_CONTAINERS.devices,
      }
      : {
        ...(config?.privileged ? { privileged: true } : {}),
        ...(config?.capAdd?.length ? { capAdd: config.capAdd } : {}),
        ...(config?.securityOpt?.length ? { securityOpt: config.securityOpt } : {}),
      }),
    mounts: [
      workspaceVolumeMount,
      agentTreeMount,
      ...projects.flatMap((p): Mount[] => [
        { type: "volume", source: p.workVolume, target: p.target },
        { type: "volume", source: p.agentVolume, target: p.agentTree, readonly: true },
      ]),
      ...(cli ? [] : agentBinaryMount),
      { type: "bind", source: input.shimsDir, target: SHIMS_DIR, readonly: true },
      ...(input.helperRuntime ? runtimeMounts(input.helperRuntime) : []),
      ...(config?.mounts ?? []).map((m) => configMount(m, workspace)),
    ],
    secrets: workspaceSecretRefs,
    ...gpusFor("workspace"),
    ...(overrideCommand
      ? {
        entrypoint: ["/bin/sh", "-c", [...(resolved?.entrypoints ?? []), IDLE_COMMAND].join("\n")],
      }
      : {}),
    stopTimeoutSeconds: 3,
    ...(runArgs.length ? { extraArgs: runArgs } : {}),
  };

  const agentCommand = cli ? ["/bin/sh", "-c", IDLE_COMMAND] : [
    input.agentBinary ? AGENT_BIN : "opencode",
    "serve",
    "--port",
    String(AGENT_PORT),
    "--hostname",
    "0.0.0.0",
  ];
  const program = agentProgram(
    profile,
    input.agentBinary && profile.install.kind === "npm"
      ? `${AGENT_PACKAGE_DIR}/${profile.install.pin("linux-x64").binaryName}`
      : undefined,
  );
  const planned = plannedAgent(profile, program, served, gatorIn !== undefined);
  const noProxy = `localhost,127.0.0.1,${PROXY_HOST}${gatorIn ? `,${GATOR_HOST}` : ""}`;
  const providerEnv = agentProviderEnv(`http://${PROXY_HOST}:${PROVIDER_PORT}`, served, {
    opencode: profile.name === "opencode",
  });
  // opencode finds the gator in its config; the bearer secret is read from its environment.
  if (gatorIn && profile.name === "opencode") {
    providerEnv.OPENCODE_CONFIG_CONTENT = withGatorMcp(providerEnv.OPENCODE_CONFIG_CONTENT);
  }
  const agentContainer: Named<ContainerSpec> = {
    name: `${name}-agent`,
    image: input.image,
    ...(iso
      ? {
        // Alone on the internal network: no DNS, no route out; the proxy is its only way out.
        networks: [t`${internalNetwork}:ip=${AGENT_IP}`],
        addHosts: [
          { host: PROXY_HOST, ip: PROXY_IP },
          ...(gatorIn ? [{ host: GATOR_HOST, ip: GATOR_IP }] : []),
        ],
      }
      : { pod: name }),
    labels: {
      ...base,
      [LABELS.role]: ROLES.agent,
      ...(planned.attach ? { [LABELS.agentAttach]: JSON.stringify(planned.attach) } : {}),
    },
    user: AGENT_USER,
    workdir,
    env: {
      ...(input.envVars ?? {}),
      ...profile.env,
      ...(gatorIn ? profile.mcpEnv ?? {} : {}),
      HOME: AGENT_HOME,
      ...(iso
        ? {
          HTTPS_PROXY: proxyUrl,
          HTTP_PROXY: proxyUrl,
          https_proxy: proxyUrl,
          http_proxy: proxyUrl,
          // The provider endpoints are the proxy's own, and the gator is reached directly.
          NO_PROXY: noProxy,
          no_proxy: noProxy,
          ...providerEnv,
        }
        : {}),
    },
    init: true,
    capDrop: ["ALL"],
    securityOpt: ["no-new-privileges"],
    ...gpusFor("agent"),
    // Never the human's tree: the agent cannot write what the workspace later runs.
    mounts: [
      agentWorkMount,
      ...projects.map((p): Mount => ({
        type: "volume",
        source: p.agentVolume,
        target: p.target,
        chown: true,
      })),
      { type: "volume", source: homeVolume.name, target: AGENT_HOME },
      ...agentBinaryMount,
    ],
    // Every secret, the password too, as a file the entrypoint turns into a variable.
    secrets: secrets.filter((s) => s.container === "agent").map((s): Planned<SecretRef> => ({
      name: s.name,
      type: "mount",
      target: `${AGENT_ENV_DIR}/${s.variable}`,
      mode: 0o400,
      uid: bindNumber("user.uid"),
      gid: bindNumber("user.gid"),
    })),
    entrypoint: withAgentEnv([]),
    command: agentCommand,
    healthCheck: {
      command: ["/bin/sh", "-c", cli ? cliProbe(program) : HEALTH_PROBE],
      intervalSeconds: 10,
      timeoutSeconds: 5,
      retries: 3,
      startPeriodSeconds: 2,
    },
    stopTimeoutSeconds: 3,
  };

  const isolation = iso
    ? {
      network: {
        name: internalNetwork,
        internal: true,
        disableDns: true,
        labels: { ...base, [LABELS.role]: ROLES.network },
      },
      linkNetwork: {
        name: linkNetwork,
        internal: true,
        disableDns: true,
        labels: { ...base, [LABELS.role]: ROLES.linkNetwork },
      },
      proxyContainer: proxyContainer(
        name,
        input.image,
        base,
        internalNetwork,
        linkNetwork,
        iso,
        secrets.filter((s) => s.container === "proxy"),
      ),
      runtime: iso.runtime,
      ...(gatorIn
        ? {
          gator: gatorContainer(
            name,
            input.image,
            base,
            internalNetwork,
            iso.egressNetwork,
            gatorIn,
            { volume: agentWork.name, target: AGENT_TREE, branch: agentBranch(workspace) },
          ),
        }
        : {}),
      allowFile: iso.allowFile,
      allow: agentAllowlist(resolved, iso.allow ?? [], profile.hosts),
    }
    : undefined;

  return {
    workspace,
    pod,
    image: input.image,
    volumes,
    secrets,
    ...(isolation ? { isolation } : {}),
    agentUrl: `http://${iso ? AGENT_HOST : "127.0.0.1"}:${AGENT_PORT}`,
    workspaceVolume: workVolume.name,
    agentWorkVolume: agentWork.name,
    agentBranch: agentBranch(workspace),
    projects,
    forwardPorts,
    workspaceContainer,
    agentContainer,
    agent: planned,
    workspaceMountTarget: target,
    workdir,
    ...(config?.remoteUser ? { remoteUser: config.remoteUser } : {}),
    ...(input.task !== undefined ? { task: input.task } : {}),
  };
}

/**
 * The agent's egress allowlist: its profile's hosts (opencode's), then the config's
 * `customizations.devaipod.allowedDomains`, then `more` (the user config's
 * `[network-isolation] allowed_domains` and `up --allow`), each entry once. A bad
 * `allowedDomains` entry is a {@link ConfigError} naming the file: the proxy would otherwise
 * refuse the whole list.
 */
export function agentAllowlist(
  resolved: ResolvedConfig | undefined,
  more: readonly string[],
  profileHosts: readonly string[] = OPENCODE_PROFILE.hosts,
): string[] {
  const domains = resolved?.devaipod.allowedDomains ?? [];
  const bad = entryProblems(domains);
  if (bad.length) {
    throw new ConfigError(
      `${resolved?.configFile}: customizations.devaipod.allowedDomains: ${bad.join("; ")}`,
      { hint: "entries are host, host:port, *.domain, http://host[:port] or an IP address" },
    );
  }
  return [...new Set([...profileHosts, ...domains, ...more])];
}

/** A profile's part of the plan: for a CLI agent, its task's argv and how it attaches. */
function plannedAgent(
  profile: AgentProfile,
  program: readonly string[],
  served: readonly Provider[],
  gator: boolean,
): PlannedAgent {
  const base = { name: profile.name, title: profile.title, mode: profile.mode };
  if (profile.mode !== "cli") return base;
  const ctx: AgentContext = {
    program,
    endpoint: (id) => {
      const p = served.find((s) => s.id === id);
      return p ? `http://${PROXY_HOST}:${PROVIDER_PORT}/${p.id}${p.apiPath}` : undefined;
    },
    ...(gator ? { mcp: { name: "gator", url: GATOR_URL, secretEnv: GATOR_SECRET_ENV } } : {}),
  };
  return {
    ...base,
    ...(profile.headless ? { task: profile.headless("{task}", ctx) } : {}),
    ...(profile.output ? { output: profile.output } : {}),
    ...(profile.interactive
      ? {
        attach: { fresh: profile.interactive(ctx, false), resume: profile.interactive(ctx, true) },
      }
      : {}),
  };
}

/** A CLI agent's health check: its program is there (and its script, for a JavaScript agent). */
function cliProbe(program: readonly string[]): string {
  const [first, second] = program;
  const script = second?.endsWith(".js") ? ` && test -r '${second}'` : "";
  return first?.startsWith("/")
    ? `test -x '${first}'${script}`
    : `command -v '${first ?? "sh"}' >/dev/null 2>&1`;
}

/** Where devaipod's runtime appears in a container: Deno and the sources, or the binary. */
export const RUNTIME_PATHS = {
  deno: "/opt/devaipod/bin/deno",
  sources: "/opt/devaipod/src",
  binary: "/opt/devaipod/bin/devaipod",
} as const;

/**
 * The flags before the permissions of every `deno run` of devaipod's code in a container (the
 * proxy, the agent client, the SSH bridge's helper): quiet, and no deno.json or deno.lock from
 * the working directory, where an image's own could remap imports or fail the lock check.
 */
export const CONTAINER_DENO_FLAGS: readonly string[] = ["--quiet", "--no-config", "--no-lock"];

/**
 * The programs of devaipod's that run in containers, as paths in its sources: the proxy sidecar,
 * the agent client in it, and the SSH bridge's helper in the workspace. A devaipod run from a URL
 * fetches their module graphs (scripts/runtime_files.ts lists them from here).
 */
export const CONTAINER_PROGRAMS = {
  proxy: "lib/proxy/main.ts",
  agentClient: "lib/pods/agent_client.ts",
  sshHelper: "lib/ssh/in_container.ts",
  copyRuntime: "lib/kube/copy_runtime.ts",
} as const;

/**
 * The argv that runs `entry` (one of {@link CONTAINER_PROGRAMS}) with the Deno mounted in a
 * container, {@link CONTAINER_DENO_FLAGS} and `permissions`.
 *
 * @example
 * ```ts
 * containerDenoArgv(CONTAINER_PROGRAMS.agentClient, ["--allow-net"]);
 * // ["/opt/devaipod/bin/deno", "run", "--quiet", "--no-config", "--no-lock", "--allow-net",
 * //  "/opt/devaipod/src/lib/pods/agent_client.ts"]
 * ```
 */
export function containerDenoArgv(
  entry: (typeof CONTAINER_PROGRAMS)[keyof typeof CONTAINER_PROGRAMS],
  permissions: readonly string[],
): string[] {
  return [
    RUNTIME_PATHS.deno,
    "run",
    ...CONTAINER_DENO_FLAGS,
    ...permissions,
    `${RUNTIME_PATHS.sources}/${entry}`,
  ];
}

/** The read-only mounts that bring devaipod's runtime into a container. */
export function runtimeMounts(runtime: ProxyRuntime): Mount[] {
  return runtime.kind === "deno"
    ? [
      { type: "bind", source: runtime.deno, target: RUNTIME_PATHS.deno, readonly: true },
      { type: "bind", source: runtime.sources, target: RUNTIME_PATHS.sources, readonly: true },
    ]
    : [{ type: "bind", source: runtime.binary, target: RUNTIME_PATHS.binary, readonly: true }];
}

/**
 * The proxy sidecar: devaipod's own code, no capabilities, read-only, on the three networks. It
 * listens for CONNECT on its internal address only, relays its link address's agent port to the
 * agent (the workspace's one way in), and never connects into either network.
 */
function proxyContainer(
  pod: string,
  image: string,
  base: Record<string, string>,
  internalNetwork: string,
  linkNetwork: string,
  iso: IsolationInput,
  keys: readonly PlannedSecret[],
): Named<ContainerSpec> {
  const runtime = iso.runtime;
  const listen = [
    "--listen",
    t`${PROXY_IP}:${PROXY_PORT}`,
    "--relay",
    t`${LINK_PROXY_IP}:${AGENT_PORT}=${AGENT_IP}:${AGENT_PORT}`,
    "--own-subnet",
    INTERNAL_SUBNET,
    LINK_SUBNET,
    "--allow-file",
    PROXY_ALLOW_FILE,
    ...(keys.length
      ? ["--providers-listen", t`${PROXY_IP}:${PROVIDER_PORT}`, ...providerFlags(iso, keys)]
      : []),
  ];
  const mounts = runtimeMounts(runtime);
  return {
    name: `${pod}-proxy`,
    image,
    labels: { ...base, [LABELS.role]: ROLES.proxy },
    networks: [
      t`${internalNetwork}:ip=${PROXY_IP}`,
      t`${linkNetwork}:ip=${LINK_PROXY_IP}`,
      iso.egressNetwork,
    ],
    ...SIDECAR_HARDENING,
    mounts: [
      ...mounts,
      { type: "bind", source: iso.allowFile, target: PROXY_ALLOW_FILE, readonly: true },
      { type: "tmpfs", target: "/tmp" },
      ...(keys.length && iso.providerCaFile
        ? [
          {
            type: "bind",
            source: iso.providerCaFile,
            target: PROVIDER_CA_FILE,
            readonly: true,
          } as Mount,
        ]
        : []),
    ],
    ...(keys.length
      ? {
        secrets: keys.map((s): SecretRef => ({
          name: s.name,
          type: "mount",
          target: `${PROXY_KEYS_DIR}/${s.variable}`,
          mode: 0o400,
          uid: SIDECAR_UID,
          gid: SIDECAR_UID,
        })),
      }
      : {}),
    entrypoint: runtime.kind === "deno"
      ? [
        ...containerDenoArgv(CONTAINER_PROGRAMS.proxy, [
          "--allow-net",
          keys.length
            ? `--allow-read=/opt/devaipod,${PROXY_KEYS_DIR}${
              iso.providerCaFile ? `,${PROVIDER_CA_FILE}` : ""
            }`
            : "--allow-read=/opt/devaipod",
        ]),
        ...listen,
      ]
      : [RUNTIME_PATHS.binary, "proxy", ...listen],
    stopTimeoutSeconds: 2,
  };
}

/**
 * The proxy's flags for the provider endpoints of `keys` (after `--providers-listen`): each
 * provider's key file, the user's upstreams, and the extra CA. Kept apart so the Kubernetes
 * render can give them to its proxy too.
 */
export function providerFlags(iso: IsolationInput, keys: readonly PlannedSecret[]): string[] {
  const ids = keys.flatMap((k) => providerOfKey(k.variable) ?? []);
  const upstreams = ids.flatMap((p) => {
    const url = iso.providerUpstreams?.[p.id];
    return url ? [`${p.id}=${url}`] : [];
  });
  return [
    "--provider",
    ...keys.flatMap((k) => {
      const p = providerOfKey(k.variable);
      return p ? [`${p.id}=${PROXY_KEYS_DIR}/${k.variable}`] : [];
    }),
    ...(upstreams.length ? ["--provider-upstream", ...upstreams] : []),
    ...(iso.providerCaFile ? ["--provider-ca", PROVIDER_CA_FILE] : []),
  ];
}

/** The addresses `up` learns once the networks exist: what the plan's placeholders stand for. */
export interface NetworkAddresses {
  /** The internal network's subnet ({@link INTERNAL_SUBNET}). */
  internalSubnet: string;
  /** The proxy (.2, {@link PROXY_IP}), the agent (.3, {@link AGENT_IP}) and the gator (.4) on it. */
  proxy: string;
  agent: string;
  gator: string;
  /** The link network's subnet ({@link LINK_SUBNET}). */
  linkSubnet: string;
  /** The proxy (.2, {@link LINK_PROXY_IP}) and the pod (.3, {@link POD_IP}) on it. */
  linkProxy: string;
  pod: string;
}

/** The bindings that {@link networkAddresses} fills. */
export function addressBindings(ips: NetworkAddresses): BindingValues {
  return {
    "net.internalSubnet": ips.internalSubnet,
    "net.proxy": ips.proxy,
    "net.agent": ips.agent,
    "net.gator": ips.gator,
    "net.linkSubnet": ips.linkSubnet,
    "net.linkProxy": ips.linkProxy,
    "net.pod": ips.pod,
  };
}

/** Host `n` of an IPv4 subnet (`10.89.0.0/24`, 2 → `10.89.0.2`). */
function hostAt(subnet: string, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m || Number(m[5]) > 29) throw new Error(`unexpected subnet ${subnet}`);
  const base =
    ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const v = (base + n) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * The static addresses on the two networks' subnets: on the internal one .2 the proxy, .3 the
 * agent and .4 the gator; on the link one .2 the proxy and .3 the pod.
 */
export function networkAddresses(internalSubnet: string, linkSubnet: string): NetworkAddresses {
  return {
    internalSubnet,
    proxy: hostAt(internalSubnet, 2),
    agent: hostAt(internalSubnet, 3),
    gator: hostAt(internalSubnet, 4),
    linkSubnet,
    linkProxy: hostAt(linkSubnet, 2),
    pod: hostAt(linkSubnet, 3),
  };
}

/**
 * The agent's work volume with the commit its clone starts from in its `agent-base` label; a
 * project without git (`undefined`) has no base, and the label is left out.
 */
export function withAgentBase(volume: PlannedVolume, commit: string | undefined): PlannedVolume {
  const { [LABELS.agentBase]: _placeholder, ...labels } = volume.labels;
  return { ...volume, labels: commit ? { ...labels, [LABELS.agentBase]: commit } : labels };
}
