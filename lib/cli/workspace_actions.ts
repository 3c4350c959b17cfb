/**
 * The workspace commands' actions (loaded only when one runs): status, logs, exec, ssh, stop,
 * start, delete. They resolve names, call lib/pods (which does the work) and print. Workspaces
 * are found by label; names work with or without `devaipod-`, and by unique prefix, except for
 * `delete`, which takes the exact name.
 */
import { hooksFor, runSteps } from "../devcontainer/lifecycle.ts";
import { DevaipodError, FailedError, NotFoundError, UsageError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { devaipodDirs, userConfigPath } from "../paths.ts";
import { loadUserConfig } from "../config/user_config.ts";
import type { DotfilesConfig } from "../pods/dotfiles.ts";
import { ATTACH_SCRIPT, withAgentEnv, withWorkspaceEnv } from "../plan/pod_plan.ts";
import { TASK_STATE_DIR } from "../agents/profiles.ts";
import { remoteEnvOf } from "../pods/remote_env.ts";
import { printable } from "../util/printable.ts";
import * as p from "../podman/mod.ts";
import type { ContainerListEntry, PodListEntry } from "../podman/mod.ts";
import {
  findWorkspace,
  workspaceContainers,
  workspaceObjects,
  workspaceOf,
} from "../pods/inventory.ts";
import {
  containerService,
  containerServices,
  quadletState,
  quadletWorkspace,
  waitServices,
} from "../pods/quadlet_workspace.ts";
import type { QuadletWorkspace } from "../pods/quadlet_workspace.ts";
import { processUid, quadletHost } from "../quadlet/install.ts";
import type { QuadletHost } from "../quadlet/install.ts";
import { podName } from "../plan/pod_plan.ts";
import { deletableWorkspace, deleteWorkspace } from "../pods/delete.ts";
import type { DeleteDeps, DeleteOptions, DeleteResult } from "../pods/delete.ts";
import { recordedConfig } from "../pods/recorded_config.ts";
import { startWorkspace } from "../pods/start.ts";
import { workspaceStatus } from "../pods/status.ts";
import { stopWorkspace } from "../pods/stop.ts";
import { hostAlias, sshConfigPaths } from "../ssh/ssh_config.ts";
import { containerExecutor } from "../devcontainer/executors.ts";
import type { CliContext } from "./context.ts";
import { Progress } from "../util/progress.ts";
import { renderTable } from "./table.ts";
import { workRow } from "./agent_work_actions.ts";
import { readKubeRecord } from "../kube/records.ts";
import type { KubeRecord } from "../kube/records.ts";

const ROLE_NAMES = ["workspace", "agent"] as const;

/** The kube side of the commands, loaded only for a kube workspace. */
function kube(): Promise<typeof import("./kube_actions.ts")> {
  return import("./kube_actions.ts");
}

/** `devaipod status NAME`. */
export async function statusAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean },
): Promise<void> {
  const found = await resolveWorkspace(ctx, name);
  if (found.kube) return (await kube()).kubeStatusAction(ctx, found.kube, options);
  const q = found.quadlet;
  const units = q
    ? {
      dir: quadletHostOf(ctx).unitDir,
      service: q.service,
      state: await quadletState(ctx.systemd(quadletHostOf(ctx).scope), q),
    }
    : undefined;
  if (!found.pod) {
    // A stopped Quadlet workspace: its units and volumes are all there is.
    const volumes = (await workspaceObjects(ctx.podman, found.workspace)).volumes.map((v) => ({
      name: v.Name,
    }));
    if (options.json) {
      return ctx.json({
        name: found.workspace,
        backend: "quadlet",
        state: "stopped",
        quadlet: units,
        volumes,
      });
    }
    for (
      const line of renderTable([
        ["workspace", `${found.workspace} (stopped)`],
        ["backend", `quadlet: ${units?.service} ${units?.state} (units in ${units?.dir})`],
        ["volumes", volumes.map((v) => v.name).join(", ") || "-"],
      ])
    ) ctx.out(line);
    return;
  }
  const status = {
    ...await workspaceStatus(ctx.podman, found.pod, devaipodDirs(ctx.deps.env).state),
    backend: q ? "quadlet" : "podman",
    ...(units ? { quadlet: units } : {}),
  };
  const { name: workspace, agent: { work } } = status;
  if (options.json) return ctx.json(status);
  const rows = [
    ["workspace", `${workspace} (pod ${status.pod}, ${status.state})`],
    ...(units
      ? [["backend", `quadlet: ${units.service} ${units.state} (units in ${units.dir})`]]
      : []),
    ["project", status.project ?? "-"],
    ...(status.projects.length
      ? [
        ["projects", status.projects.map((n) => `/workspaces/${n}`).join(", ")] as [string, string],
      ]
      : []),
    ...(status.source
      ? [["source", `${status.source.url} at ${status.source.commit.slice(0, 12)}`]]
      : []),
    // A forge's title may hold anything: control characters are shown escaped, never sent raw.
    ...(status.source?.pr
      ? [[
        "title",
        `${printable(status.source.pr.title)} (into ${printable(status.source.pr.base)})`,
      ]]
      : []),
    ["image", status.image ?? "-"],
    [
      "agent",
      `${status.agent.profile}: ${status.agent.health}${
        status.agent.url ? ` at ${status.agent.url} (host)` : ""
      }${status.agent.task ? `, task ${status.agent.task}` : ""}`,
    ],
    ["work", workRow(work, workspace)],
    ...ROLE_NAMES.map((
      role,
    ) => [
      role,
      status.containers[role]
        ? `${status.containers[role]?.name}: ${
          status.containers[role]?.status ?? status.containers[role]?.state
        }`
        : "missing",
    ]),
    ["volumes", status.volumes.map((v) => v.name).join(", ") || "-"],
    [
      "egress",
      status.egress
        ? `${status.egress.allowed} allowed (${status.egress.open} open now), ${status.egress.denied} denied (devaipod egress ${workspace})`
        : "not isolated",
    ],
    ...(status.gator
      ? [[
        "gator",
        `${status.containers.gator?.state ?? "missing"}: ${
          status.gator.scopes.join(" ") || "no scope"
        } (devaipod gator ${workspace})`,
      ]]
      : []),
    ["ports", status.ports.map((x) => `${x.host} → ${x.container}`).join(", ") || "-"],
    ["task", status.task ?? "-"],
  ];
  for (const line of renderTable(rows)) ctx.out(line);
}

function roleOf(flag: string | undefined): string {
  const role = flag ?? "workspace";
  if (role !== "workspace" && role !== "agent" && role !== "proxy" && role !== "gator") {
    throw new UsageError(`-c ${role}: expected workspace, agent, proxy or gator`);
  }
  return role;
}

async function container(
  ctx: CliContext,
  name: string,
  role: string,
): Promise<{ workspace: string; container: ContainerListEntry; pod: PodListEntry }> {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = workspaceOf(pod);
  const found = (await workspaceContainers(ctx.podman, workspace)).get(role);
  if (!found) {
    throw new FailedError(`workspace ${workspace} has no ${role} container`, {
      hint: `\`devaipod delete ${workspace}\` and up again`,
    });
  }
  return { workspace, container: found, pod };
}

/** `devaipod logs NAME [-c ROLE] [-f] [-n N]`. */
export async function logsAction(
  ctx: CliContext,
  name: string,
  options: { container?: string; follow?: boolean; tail?: string },
): Promise<void> {
  const role = roleOf(options.container);
  const tail = options.tail === undefined ? undefined : Number(options.tail);
  const found = await resolveWorkspace(ctx, name);
  if (found.kube) {
    return (await kube()).kubeLogsAction(ctx, found.kube, role, tail, options.follow === true);
  }
  if (found.quadlet) {
    // systemd runs it: the journal holds every start's output, not only the current container's.
    const code = await ctx.systemd(quadletHostOf(ctx).scope).journal(
      [containerService(`${podName(found.workspace)}-${role}`)],
      { ...(options.follow ? { follow: true } : {}), ...(tail !== undefined ? { tail } : {}) },
    );
    if (code !== 0) throw new FailedError(`journalctl exited ${code}`);
    return;
  }
  const { container: c } = await container(ctx, name, role);
  const code = await ctx.podman.runInteractive(
    p.containerLogs(c.Id, {
      ...(options.follow ? { follow: true } : {}),
      ...(tail !== undefined ? { tail } : {}),
    }),
  );
  if (code !== 0) throw new FailedError(`podman logs exited ${code}`);
}

/** The user and folder sessions use in a workspace's container. */
async function sessionSettings(
  ctx: CliContext,
  c: ContainerListEntry,
  role: string,
): Promise<{ user?: string; workdir?: string; env?: Record<string, string> }> {
  const [inspected] = await ctx.podman.run(p.containerInspect(c.Id));
  const workdir = inspected?.Config.WorkingDir || undefined;
  if (role === "agent") {
    return {
      ...(inspected?.Config.User ? { user: inspected.Config.User } : {}),
      ...(workdir ? { workdir } : {}),
    };
  }
  const remoteUser = inspected?.Config.Labels[LABELS.remoteUser];
  const env = inspected ? remoteEnvOf(inspected.Config.Labels, inspected.Config.Env) : {};
  return {
    ...(remoteUser ? { user: remoteUser } : {}),
    ...(workdir ? { workdir } : {}),
    ...(Object.keys(env).length ? { env } : {}),
  };
}

const LOGIN_SHELL = [
  "/bin/sh",
  "-c",
  "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
];

/** `devaipod exec NAME [-c ROLE] [-- CMD…]`: interactive when stdin is a terminal. */
export async function execAction(
  ctx: CliContext,
  name: string,
  command: string[],
  options: { container?: string },
): Promise<void> {
  const role = roleOf(options.container);
  const record = await readKubeRecord(devaipodDirs(ctx.deps.env).state, name);
  if (record) {
    const code = await (await kube()).kubeExecAction(ctx, record, role, command);
    if (code !== 0) throw new CommandExitError(code);
    return;
  }
  const { container: c } = await container(ctx, name, role);
  const settings = await sessionSettings(ctx, c, role);
  const tty = Deno.stdin.isTerminal();
  const code = await ctx.podman.runInteractive({
    argv: p.execArgv({
      container: c.Id,
      command: role === ROLES.workspace
        ? withWorkspaceEnv(command.length ? command : LOGIN_SHELL)
        : (command.length ? command : LOGIN_SHELL),
      interactive: true,
      tty,
      ...settings,
    }),
    parse: () => {},
  });
  if (code !== 0) throw new CommandExitError(code);
}

/**
 * `devaipod attach NAME`: the agent's own interface. opencode's TUI from the workspace
 * (`opencode-agent`, attached to its server); a CLI agent's TUI inside the agent container, with
 * its keys, resuming the conversation of the task `up` or `run` gave it, in tmux when the image
 * has it. `--print`: the argv, without running it.
 */
export async function attachAction(
  ctx: CliContext,
  name: string,
  options: { print?: boolean },
): Promise<void> {
  const { container: agent } = await container(ctx, name, ROLES.agent);
  const label = agent.Labels[LABELS.agentAttach];
  if (!label) {
    if (options.print) return ctx.out(["devaipod", "exec", name, "--", "opencode-agent"].join(" "));
    return await execAction(ctx, name, ["opencode-agent"], { container: "workspace" });
  }
  const argvs = JSON.parse(label) as { fresh: string[]; resume: string[] };
  const ran = await ctx.podman.run(p.containerExec({
    container: agent.Id,
    command: ["/bin/sh", "-c", `test -e "$HOME/${TASK_STATE_DIR}/task.out"`],
  }));
  const argv = ran.code === 0 ? argvs.resume : argvs.fresh;
  if (options.print) return ctx.out(argv.join(" "));
  const settings = await sessionSettings(ctx, agent, ROLES.agent);
  const code = await ctx.podman.runInteractive({
    argv: p.execArgv({
      container: agent.Id,
      command: withAgentEnv(["/bin/sh", "-c", ATTACH_SCRIPT, "devaipod-attach", ...argv]),
      interactive: true,
      tty: Deno.stdin.isTerminal(),
      ...settings,
    }),
    parse: () => {},
  });
  if (code !== 0) throw new CommandExitError(code);
}

/** The command in the container exited non-zero: devaipod exits with the same code, quietly. */
export class CommandExitError extends DevaipodError {
  override readonly name = "CommandExitError";
  constructor(code: number) {
    super(`the command exited with code ${code}`, code, { silent: true });
  }
}

/**
 * `devaipod ssh NAME [--no-bridge] [-- CMD…]`: runs postAttachCommand, then a shell (or CMD) in
 * the workspace: through ssh and the SSH bridge when ssh is on PATH, else podman exec.
 */
export async function sshAction(
  ctx: CliContext,
  name: string,
  command: string[],
  options: { bridge?: boolean } = {},
): Promise<void> {
  if (await readKubeRecord(devaipodDirs(ctx.deps.env).state, name)) {
    // The bridge reaches a cluster's Pod through the API's exec (ssh-proxy); without ssh, exec.
    const { hasSsh, sshSession } = await import("./ssh_config_action.ts");
    if (options.bridge !== false && await hasSsh(ctx.deps.env)) {
      const code = await sshSession(ctx, { workspace: name, command });
      if (code !== 0) throw new CommandExitError(code);
      return;
    }
    return await execAction(ctx, name, command, { container: "workspace" });
  }
  const { container: c, pod, workspace } = await container(ctx, name, "workspace");
  const settings = await sessionSettings(ctx, c, "workspace");
  const resolved = await recordedConfig(pod, ctx.deps.env.toObject());
  const attach = resolved?.lifecycle.steps.filter((s) => hooksFor("attach").includes(s.hook)) ?? [];
  if (attach.length) {
    await runSteps(
      attach,
      containerExecutor(ctx.podman, c.Id, { ...settings, wrap: withWorkspaceEnv }),
      (t) => ctx.deps.io.stderr(t),
    );
  }
  if (options.bridge !== false) {
    const { hasSsh, sshSession } = await import("./ssh_config_action.ts");
    if (await hasSsh(ctx.deps.env)) {
      const code = await sshSession(ctx, {
        workspace,
        command,
        ...(settings.user ? { user: settings.user } : {}),
      });
      if (code === 255) {
        throw new DevaipodError("ssh exited with code 255 (also the code of its own errors)", 255, {
          hint: `\`devaipod ssh --no-bridge ${workspace}\` uses podman exec instead`,
        });
      }
      if (code !== 0) throw new CommandExitError(code);
      return;
    }
    ctx.debug("no ssh on PATH: using podman exec");
  }
  await execAction(ctx, name, command, { container: "workspace" });
}

/** `devaipod stop NAME`. */
export async function stopAction(ctx: CliContext, name: string): Promise<void> {
  const found = await resolveWorkspace(ctx, name);
  if (found.kube) return (await kube()).kubeStopAction(ctx, found.kube);
  if (found.quadlet) {
    await ctx.systemd(quadletHostOf(ctx).scope).stop(found.quadlet.service);
    ctx.info(`stopped ${found.workspace} (${found.quadlet.service})`);
    return;
  }
  if (!found.pod) throw new Error("unreachable: a podman workspace has a pod");
  await stopWorkspace(ctx.podman, found.pod);
  ctx.info(`stopped ${found.workspace}`);
}

/** Where this host's Quadlet units are. */
function quadletHostOf(ctx: CliContext): QuadletHost {
  return quadletHost(ctx.deps.env, processUid());
}

/**
 * A workspace a user named: its pod when it has one, its units when systemd runs it, this host's
 * record of where it lives when a cluster runs it.
 */
interface FoundWorkspace {
  workspace: string;
  pod?: PodListEntry;
  quadlet?: QuadletWorkspace;
  kube?: KubeRecord;
}

/**
 * The workspace `name` names: a kube workspace this host recorded (exact name), else by its pod
 * ({@link findWorkspace}: exact, else a unique prefix), else, for a stopped Quadlet workspace
 * (no pod), by its units (exact name).
 */
async function resolveWorkspace(ctx: CliContext, name: string): Promise<FoundWorkspace> {
  // A kube workspace by its exact name: a file on this host, no podman needed.
  const record = await readKubeRecord(devaipodDirs(ctx.deps.env).state, name);
  if (record) return { workspace: record.workspace, kube: record };
  const dir = quadletHostOf(ctx).unitDir;
  try {
    const pod = await findWorkspace(ctx.podman, name);
    const workspace = workspaceOf(pod);
    const q = await quadletWorkspace(dir, workspace);
    return { workspace, pod, ...(q ? { quadlet: q } : {}) };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    const q = await quadletWorkspace(dir, name);
    if (!q) throw err;
    return { workspace: q.workspace, quadlet: q };
  }
}

/** `devaipod start NAME`: starts the pod, waits for the agent, runs postStartCommand. */
export async function startAction(
  ctx: CliContext,
  name: string,
  options: { readyTimeout?: number },
): Promise<void> {
  const found = await resolveWorkspace(ctx, name);
  if (found.kube) {
    return (await kube()).kubeStartAction(ctx, found.kube, options.readyTimeout ?? 120);
  }
  const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
  const q = found.quadlet;
  if (q) {
    // systemd starts every unit (new containers: the create hooks run again, below).
    const systemd = ctx.systemd(quadletHostOf(ctx).scope);
    await progress.step(`start ${q.service}`, async () => {
      await systemd.start(q.service);
      // The pod's start returns before its containers' services are up.
      await waitServices(systemd, containerServices(q.files));
    });
  }
  const pod = found.pod && !q ? found.pod : await findWorkspace(ctx.podman, found.workspace);
  await startWorkspace(
    {
      podman: ctx.podman,
      progress,
      log: (t) => ctx.deps.io.stderr(t),
      stateDir: devaipodDirs(ctx.deps.env).state,
      hostEnv: ctx.deps.env.toObject(),
      userDotfiles: () => userDotfiles(ctx),
    },
    pod,
    { readyTimeoutSeconds: options.readyTimeout ?? 120, ...(q ? { started: true } : {}) },
  );
  ctx.info(`started ${workspaceOf(pod)}`);
}

/** The user config's `[dotfiles]`; undefined when it names none. */
async function userDotfiles(ctx: CliContext): Promise<DotfilesConfig | undefined> {
  const user = await loadUserConfig(
    userConfigPath(ctx.deps.env, ctx.globals.config),
    ctx.globals.config !== undefined,
  );
  const url = user.dotfiles?.url;
  if (!url) return undefined;
  const script = user.dotfiles?.script;
  return { url, ...(script !== undefined ? { script } : {}) };
}

/**
 * `devaipod delete NAME [-f] [--volumes]`. NAME is exact ({@link deletableWorkspace}), never a
 * prefix: a prefix is a NotFoundError whose hint lists the workspaces it would have matched.
 */
export async function deleteAction(
  ctx: CliContext,
  name: string,
  options: DeleteOptions,
): Promise<void> {
  const record = await readKubeRecord(devaipodDirs(ctx.deps.env).state, name);
  if (record) return (await kube()).kubeDeleteAction(ctx, record, options);
  const workspace = await deletableWorkspace(ctx.podman, name, quadletHostOf(ctx).unitDir);
  await deleteAndReport(ctx, workspace, options);
}

/** What `delete` (and `rebuild`) needs, from the CLI's context. */
export function deleteDeps(ctx: CliContext): DeleteDeps {
  const sshConfig = (() => {
    try {
      return sshConfigPaths(ctx.deps.env).managed;
    } catch {
      return undefined; // no HOME: no ssh config to clean
    }
  })();
  const host = quadletHostOf(ctx);
  return {
    podman: ctx.podman,
    stateDir: devaipodDirs(ctx.deps.env).state,
    sshConfig,
    warn: (line) => ctx.err(line),
    quadlet: { systemd: ctx.systemd(host.scope), unitDir: host.unitDir },
  };
}

/**
 * Deletes the workspace labelled exactly `workspace` ({@link deleteWorkspace}) and says what
 * went and what stayed.
 */
export async function deleteAndReport(
  ctx: CliContext,
  workspace: string,
  options: DeleteOptions,
): Promise<DeleteResult> {
  const deps = deleteDeps(ctx);
  const result = await deleteWorkspace(deps, workspace, options);
  if (result.sshConfigCleaned) {
    ctx.info(`removed ${hostAlias(workspace)} from ${result.sshConfigCleaned}`);
  }
  const kept = result.keptVolumes;
  ctx.info(
    `deleted ${workspace}${
      options.volumes
        ? " and its volumes"
        : kept.length
        ? `; kept volumes ${kept.join(", ")} (delete --volumes removes them)`
        : ""
    }`,
  );
  return result;
}
