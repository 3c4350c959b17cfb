/**
 * What the workspace commands do (loaded only when one runs): list, status, logs, exec, ssh,
 * stop, start, delete. Workspaces are found by label; names work with or without `devaipod-`,
 * and by unique prefix, except for `delete`, which takes the exact name.
 */
import { hooksFor, runSteps } from "../devcontainer/lifecycle.ts";
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { ConflictError, DevaipodError, FailedError, NotFoundError, UsageError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { devaipodDirs, userConfigPath } from "../paths.ts";
import { loadUserConfig } from "../config/user_config.ts";
import { fetchDotfiles } from "../pods/dotfiles.ts";
import type { Dotfiles } from "../pods/dotfiles.ts";
import { redactUrl } from "../sources/parse.ts";
import { AGENT_PORT, PASSWORD_FILE, withWorkspaceEnv } from "../plan/pod_plan.ts";
import { readSourceRecord } from "../pods/remote_source.ts";
import { remoteEnvOf } from "../pods/remote_env.ts";
import { printable } from "../util/printable.ts";
import * as p from "../podman/mod.ts";
import type { ContainerListEntry, PodListEntry } from "../podman/mod.ts";
import { probeHealth, waitHealthy } from "../pods/agent_http.ts";
import type { AgentEndpoint } from "../pods/agent_http.ts";
import {
  bareName,
  byRole,
  checkName,
  exactWorkspace,
  findWorkspace,
  listPods,
  noExactWorkspace,
  workspaceContainers,
  workspaceObjects,
} from "../pods/inventory.ts";
import type { WorkspaceObjects } from "../pods/inventory.ts";
import { createHooksDone, workspaceDirs } from "../pods/state.ts";
import { linkShims } from "../pods/shims.ts";
import { runContainerHooks, waitHealthCheck } from "../pods/up.ts";
import { hostAlias, removeHostBlock, sshConfigPaths } from "../ssh/ssh_config.ts";
import { containerExecutor } from "../devcontainer/executors.ts";
import type { CliContext } from "./context.ts";
import { Progress } from "./progress.ts";
import { renderTable } from "./table.ts";
import { egressCounts } from "../proxy/egress_log.ts";
import { agentWorkSummary } from "../pods/agent_work.ts";
import { workRow } from "./agent_work_actions.ts";

const ROLE_NAMES = ["workspace", "agent"] as const;

async function agentEndpoint(
  ctx: CliContext,
  containers: Map<string, ContainerListEntry>,
): Promise<AgentEndpoint | undefined> {
  const ws = containers.get(ROLES.workspace);
  if (ws?.State !== "running") return undefined;
  const [port, pw] = await Promise.all([
    ctx.podman.run(p.containerPort(ws.Id, AGENT_PORT)).catch(() => undefined),
    ctx.podman.run(p.containerExec({ container: ws.Id, command: ["cat", PASSWORD_FILE] })),
  ]);
  if (!port || pw.code !== 0) return undefined;
  return { url: `http://127.0.0.1:${port.port}`, password: pw.stdout.trim() };
}

/** How many connections the proxy allowed (open tunnels too, each once), denied, and has open. */
async function egressSummary(
  ctx: CliContext,
  proxyId: string,
): Promise<{ allowed: number; denied: number; open: number }> {
  const { connections } = await import("./egress_actions.ts");
  return egressCounts(await connections(ctx, proxyId));
}

/** `devaipod status NAME`. */
export async function statusAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean },
): Promise<void> {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const objects = await workspaceObjects(ctx.podman, workspace);
  const containers = byRole(objects.containers);
  const agent = containers.get(ROLES.agent);
  const proxy = containers.get(ROLES.proxy);
  const isolated = proxy !== undefined;
  // Behind the proxy the host cannot reach the agent: its own health check answers.
  const endpoint = agent?.State === "running" && !isolated
    ? await agentEndpoint(ctx, containers)
    : undefined;
  const healthy = agent?.State !== "running"
    ? false
    : isolated
    ? await ctx.podman.run(p.healthcheckRun(agent.Id)).catch(() => false)
    : endpoint
    ? await probeHealth(endpoint)
    : false;
  const work = await agentWorkSummary(
    ctx.podman,
    workspace,
    pod.Name,
    containers.get(ROLES.workspace),
  );
  const status = {
    name: workspace,
    pod: pod.Name,
    state: pod.Status.toLowerCase(),
    project: pod.Labels[LABELS.project] ?? null,
    source: readSourceRecord(pod.Labels) ?? null,
    image: pod.Labels[LABELS.image] ?? null,
    task: pod.Labels[LABELS.task] ?? null,
    created: pod.Created ?? null,
    isolated,
    ports: (pod.Labels[LABELS.ports] ?? "").split(",").filter(Boolean).map((port) => ({
      host: `127.0.0.1:${port}`,
      container: Number(port),
    })),
    egress: proxy ? await egressSummary(ctx, proxy.Id) : null,
    containers: Object.fromEntries([...ROLE_NAMES, ROLES.proxy].map((role) => {
      const c = containers.get(role);
      return [
        role,
        c ? { name: c.Names[0] ?? c.Id, state: c.State, status: c.Status ?? null } : null,
      ];
    })),
    agent: {
      healthy,
      health: agent?.State !== "running" ? "stopped" : healthy ? "healthy" : "unhealthy",
      url: endpoint?.url ?? null,
      work,
    },
    volumes: objects.volumes.map((v) => ({ name: v.Name, role: v.Labels[LABELS.role] ?? null })),
    secrets: objects.secrets.length,
  };
  if (options.json) return ctx.json(status);
  const rows = [
    ["workspace", `${workspace} (pod ${pod.Name}, ${status.state})`],
    ["project", status.project ?? "-"],
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
    ["agent", `${status.agent.health}${status.agent.url ? ` at ${status.agent.url} (host)` : ""}`],
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
    ["ports", status.ports.map((x) => `${x.host} → ${x.container}`).join(", ") || "-"],
    ["task", status.task ?? "-"],
  ];
  for (const line of renderTable(rows)) ctx.out(line);
}

function roleOf(flag: string | undefined): string {
  const role = flag ?? "workspace";
  if (role !== "workspace" && role !== "agent" && role !== "proxy") {
    throw new UsageError(`-c ${role}: expected workspace, agent or proxy`);
  }
  return role;
}

async function container(
  ctx: CliContext,
  name: string,
  role: string,
): Promise<{ workspace: string; container: ContainerListEntry; pod: PodListEntry }> {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
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
  const { container: c } = await container(ctx, name, roleOf(options.container));
  const tail = options.tail === undefined ? undefined : Number(options.tail);
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

/** The command in the container exited non-zero: devaipod exits with the same code, quietly. */
export class CommandExitError extends DevaipodError {
  override readonly name = "CommandExitError";
  constructor(code: number) {
    super(`the command exited with code ${code}`, code, { silent: true });
  }
}

async function resolvedFor(
  ctx: CliContext,
  pod: PodListEntry,
): Promise<ResolvedConfig | undefined> {
  const project = pod.Labels[LABELS.project];
  if (!project) return undefined;
  return await resolveDevcontainer({ folder: project, env: ctx.deps.env.toObject() }).catch(() =>
    undefined
  );
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
  const { container: c, pod, workspace } = await container(ctx, name, "workspace");
  const settings = await sessionSettings(ctx, c, "workspace");
  const resolved = await resolvedFor(ctx, pod);
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
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  // Behind the proxy, the agent and the proxy are not pod members: they stop on their own.
  const outside = [...(await workspaceContainers(ctx.podman, workspace)).values()].filter((c) =>
    !c.Pod
  );
  for (const c of outside.filter((c) => c.State === "running")) {
    await ctx.podman.run(p.containerStop(c.Id, { timeoutSeconds: 5 }));
  }
  await ctx.podman.run(p.podStop(pod.Name, { timeoutSeconds: 5 }));
  ctx.info(`stopped ${workspace}`);
}

/** `devaipod start NAME`: starts the pod, waits for the agent, runs postStartCommand. */
export async function startAction(
  ctx: CliContext,
  name: string,
  options: { readyTimeout?: number },
): Promise<void> {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
  const before = await workspaceContainers(ctx.podman, workspace);
  const proxy = before.get(ROLES.proxy);
  if (proxy) {
    await progress.step("start the egress proxy", () => ctx.podman.run(p.containerStart(proxy.Id)));
  }
  await progress.step(`start pod ${pod.Name}`, () => ctx.podman.run(p.podStart(pod.Name)));
  const outsideAgent = before.get(ROLES.agent);
  if (proxy && outsideAgent) {
    await progress.step("start the agent", () => ctx.podman.run(p.containerStart(outsideAgent.Id)));
  }
  const containers = await workspaceContainers(ctx.podman, workspace);
  const timeoutMs = (options.readyTimeout ?? 120) * 1000;
  const endpoint = proxy ? undefined : await agentEndpoint(ctx, containers);
  await progress.step("agent healthy", async () => {
    const healthy = proxy && outsideAgent
      ? await waitHealthCheck(ctx.podman, outsideAgent.Id, timeoutMs)
      : endpoint !== undefined && await waitHealthy(endpoint, timeoutMs);
    if (!healthy) {
      throw new FailedError("the agent did not become healthy", {
        hint: `\`devaipod logs ${workspace} -c agent\` shows why`,
      });
    }
  });
  const resolved = await resolvedFor(ctx, pod);
  const ws = containers.get(ROLES.workspace);
  // The links that let login shells find the shims live in the container's layer: any that went
  // missing come back (before the hooks, which may run login shells).
  if (ws) {
    for (const line of await linkShims(ctx.podman, ws.Id)) progress.note(line);
  }
  const agent = containers.get(ROLES.agent);
  const hooksDir = workspaceDirs(devaipodDirs(ctx.deps.env).state, workspace).hooks;
  // Containers whose create hooks never finished (an up that was killed) get them now, and the
  // dotfiles with them.
  const unfinished = ws && agent
    ? !(await createHooksDone(hooksDir, ws.Id)) || !(await createHooksDone(hooksDir, agent.Id))
    : false;
  const dotfiles = unfinished ? await userDotfiles(ctx, progress) : undefined;
  if ((resolved || dotfiles) && ws && agent) {
    const [wsInspect, agentInspect] = await ctx.podman.run(p.containerInspect(ws.Id, agent.Id));
    await runContainerHooks({ podman: ctx.podman, progress, log: (t) => ctx.deps.io.stderr(t) }, {
      ...(dotfiles ? { dotfiles } : {}),
      steps: resolved?.lifecycle.steps ?? [],
      event: "start",
      workspace: ws.Id,
      remoteUser: wsInspect?.Config.Labels[LABELS.remoteUser] || undefined,
      agent: agent.Id,
      agentUser: agentInspect?.Config.User ?? "1000:1000",
      workdir: wsInspect?.Config.WorkingDir || "/",
      hooksDir,
      remoteEnv: resolved?.config.remoteEnv,
      waitFor: resolved?.lifecycle.waitFor,
    });
  }
  ctx.info(`started ${workspace}`);
}

/** The user config's dotfiles, cloned; undefined when it names none. */
async function userDotfiles(ctx: CliContext, progress: Progress): Promise<Dotfiles | undefined> {
  const user = await loadUserConfig(
    userConfigPath(ctx.deps.env, ctx.globals.config),
    ctx.globals.config !== undefined,
  );
  const url = user.dotfiles?.url;
  if (!url) return undefined;
  const script = user.dotfiles?.script;
  return await progress.step(
    `dotfiles: clone ${redactUrl(url)}`,
    () => fetchDotfiles({ url, ...(script !== undefined ? { script } : {}) }),
  );
}

/**
 * `devaipod delete NAME [-f] [--volumes]`. NAME is exact ({@link exactWorkspace}), never a
 * prefix: a prefix is a NotFoundError whose hint lists the workspaces it would have matched.
 */
export async function deleteAction(
  ctx: CliContext,
  name: string,
  options: DeleteOptions,
): Promise<void> {
  checkName(bareName(name));
  const pods = await listPods(ctx.podman);
  const workspace = exactWorkspace(pods, name)?.Labels[LABELS.workspace] ??
    // A workspace whose pod is gone (an interrupted up) is still found by its other objects.
    await leftoverWorkspace(ctx, name);
  if (workspace === undefined) throw noExactWorkspace(pods, name);
  await deleteWorkspace(ctx, workspace, options);
}

/** Options of {@link deleteWorkspace}. */
export interface DeleteOptions {
  /** Remove a running workspace too. */
  force?: boolean;
  /** Remove its named volumes too. */
  volumes?: boolean;
  /** Keep its state folder (`rebuild`: a URL source's clone and the allowlist). */
  keepState?: boolean;
}

/** The name (as given, else without `devaipod-`) that labels objects of a pod-less workspace. */
async function leftoverWorkspace(ctx: CliContext, name: string): Promise<string | undefined> {
  for (const candidate of new Set([name, bareName(name)])) {
    if (!isEmpty(await workspaceObjects(ctx.podman, candidate))) return candidate;
  }
  return undefined;
}

/** Whether nothing is labelled with a workspace. */
function isEmpty(found: WorkspaceObjects): boolean {
  return !found.pods.length && !found.containers.length && !found.secrets.length &&
    !found.volumes.length && !found.networks.length;
}

/**
 * Deletes the workspace whose label is exactly `workspace` (no `devaipod-` is stripped: `rebuild`
 * passes the label it found). A running one needs `force`.
 */
export async function deleteWorkspace(
  ctx: CliContext,
  workspace: string,
  options: DeleteOptions,
): Promise<void> {
  checkName(workspace);
  const found = await workspaceObjects(ctx.podman, workspace);
  if (isEmpty(found)) {
    throw new NotFoundError(`no workspace named '${workspace}'`, {
      hint: "`devaipod list` shows the workspaces",
    });
  }
  if (found.pods.some((pod) => pod.Status.toLowerCase() === "running") && !options.force) {
    throw new ConflictError(`workspace ${workspace} is running`, {
      hint: `\`devaipod stop ${workspace}\` first, or \`devaipod delete -f ${workspace}\``,
    });
  }
  for (const pod of found.pods) {
    await ctx.podman.run(p.podRm(pod.Name, { force: true, timeoutSeconds: 0 }));
  }
  const stray = found.containers.filter((c) => !found.pods.some((pod) => pod.Id === c.Pod));
  if (stray.length) {
    await ctx.podman.run(p.containerRm(stray.map((c) => c.Id), { force: true, timeoutSeconds: 0 }));
  }
  if (found.secrets.length) await ctx.podman.run(p.secretRm(found.secrets.map((s) => s.Spec.Name)));
  if (found.networks.length) {
    await ctx.podman.run(p.networkRm(found.networks.map((n) => n.name), { force: true }));
  }
  const kept = found.volumes.map((v) => v.Name);
  if (options.volumes && kept.length) await ctx.podman.run(p.volumeRm(kept, { force: true }));
  const dirs = workspaceDirs(devaipodDirs(ctx.deps.env).state, workspace);
  if (!options.keepState) await Deno.remove(dirs.root, { recursive: true }).catch(() => {});
  const sshConfig = (() => {
    try {
      return sshConfigPaths(ctx.deps.env).managed;
    } catch {
      return undefined; // no HOME: no ssh config to clean
    }
  })();
  const removed = sshConfig &&
    await removeHostBlock(sshConfig, workspace).catch((err) => {
      ctx.err(`warning: cannot remove ${hostAlias(workspace)} from ${sshConfig}: ${err}`);
      return false;
    });
  if (removed) ctx.info(`removed ${hostAlias(workspace)} from ${sshConfig}`);
  ctx.info(
    `deleted ${workspace}${
      options.volumes
        ? " and its volumes"
        : kept.length
        ? `; kept volumes ${kept.join(", ")} (delete --volumes removes them)`
        : ""
    }`,
  );
}
