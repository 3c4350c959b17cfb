/**
 * What `devaipod ssh-config` does (loaded only when it runs), and the `ssh` session through the
 * bridge that `devaipod ssh` starts when an ssh client is on PATH.
 */
import { resolve } from "node:path";
import { formatArgv } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { findWorkspace, workspaceContainers } from "../pods/inventory.ts";
import type { EnvReader } from "../podman/runner.ts";
import { currentRuntime } from "../runtime.ts";
import { trustBridge } from "../ssh/host_key.ts";
import {
  HOST_KEY_ALIAS,
  hostAlias,
  INCLUDE_LINE,
  includeStatus,
  proxyCommandArgv,
  renderHostBlock,
  sshClientArgv,
  sshConfigPaths,
  upsertHostBlock,
} from "../ssh/ssh_config.ts";
import type { IncludeStatus, UpsertResult } from "../ssh/ssh_config.ts";
import type { CliContext } from "./context.ts";
import { readTextIfExists } from "../util/read_if_exists.ts";

/** `devaipod ssh-config NAME [--write] [--json]`. */
export async function sshConfigAction(
  ctx: CliContext,
  name: string,
  options: { write?: boolean; json?: boolean },
): Promise<void> {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const container = (await workspaceContainers(ctx.podman, workspace)).get(ROLES.workspace);
  const user = container?.Labels[LABELS.remoteUser] || undefined;
  const paths = sshConfigPaths(ctx.deps.env);
  // The block names devaipod's own known_hosts: it must hold the key even when only printed.
  const { knownHostsFile, identityFile } = await trustBridge(ctx.deps.env);
  const proxyCommand = proxyCommandArgv(workspace, currentRuntime(), configFlag(ctx));
  const block = renderHostBlock({
    workspace,
    proxyCommand,
    knownHostsFile,
    identityFile,
    ...(user ? { user } : {}),
  });
  const written: UpsertResult | undefined = options.write
    ? await upsertHostBlock(paths.managed, workspace, block)
    : undefined;
  const home = ctx.deps.env.get("HOME") ?? "";
  const include = includeStatus(
    await readTextIfExists(paths.userConfig) ?? "",
    paths.managed,
    home,
  );
  if (options.json) {
    ctx.json({
      workspace,
      host: hostAlias(workspace),
      user: user ?? null,
      proxyCommand,
      knownHostsFile,
      identityFile,
      hostKeyAlias: HOST_KEY_ALIAS,
      block,
      managedFile: paths.managed,
      written: written ?? null,
      include: { status: include.status, line: include.line ?? null },
    });
  } else if (!options.write) {
    ctx.deps.io.stdout(block);
  }
  if (!options.write) {
    ctx.info(
      `add this to ~/.ssh/config, or \`devaipod ssh-config ${workspace} --write\` keeps it in ${paths.managed}`,
    );
    return;
  }
  ctx.info(
    written === "unchanged"
      ? `${paths.managed} already has ${hostAlias(workspace)}`
      : `${written} ${hostAlias(workspace)} in ${paths.managed}`,
  );
  reportInclude(ctx, include, paths.userConfig, workspace);
}

function reportInclude(
  ctx: CliContext,
  include: IncludeStatus,
  userConfig: string,
  workspace: string,
): void {
  if (include.status === "top-level") {
    ctx.info(`${userConfig} includes it (line ${include.line}): \`ssh ${hostAlias(workspace)}\``);
  } else if (include.status === "conditional") {
    ctx.err(
      `warning: ${userConfig} includes it only inside a Host or Match block (line ${include.line}); ` +
        `move that line above the first Host or Match line:\n  ${INCLUDE_LINE}`,
    );
  } else {
    ctx.err(
      `warning: ${userConfig} does not include it; add this line at the top of ${userConfig}:\n` +
        `  ${INCLUDE_LINE}`,
    );
  }
}

/** Whether an `ssh` program is on PATH. */
export async function hasSsh(env: EnvReader): Promise<boolean> {
  const windows = Deno.build.os === "windows";
  const dirs = (env.get("PATH") ?? "").split(windows ? ";" : ":").filter(Boolean);
  for (const dir of dirs) {
    try {
      const info = await Deno.stat(`${dir}/${windows ? "ssh.exe" : "ssh"}`);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/**
 * Runs the system `ssh` to the workspace through the bridge (settings given as `-o`, so no ssh
 * config entry is needed); returns ssh's exit code (the command's, or 255 for ssh's own errors).
 */
export async function sshSession(
  ctx: CliContext,
  input: { workspace: string; user?: string; command: readonly string[] },
): Promise<number> {
  const { knownHostsFile, identityFile } = await trustBridge(ctx.deps.env);
  const argv = sshClientArgv({
    workspace: input.workspace,
    proxyCommand: proxyCommandArgv(input.workspace, currentRuntime(), configFlag(ctx)),
    knownHostsFile,
    identityFile,
    ...(input.user ? { user: input.user } : {}),
    tty: Deno.stdin.isTerminal(),
    command: input.command,
  });
  ctx.debug(`running ${formatArgv(argv)}`);
  const [program = "ssh", ...args] = argv;
  const child = new Deno.Command(program, {
    args,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

/** `--config PATH` as given, made absolute (the ProxyCommand runs from anywhere). */
function configFlag(ctx: CliContext): string | undefined {
  const flag = ctx.globals.config;
  return flag === undefined ? undefined : resolve(ctx.deps.cwd(), flag);
}
