/**
 * The commands that connect the human to the agent from inside the workspace: `opencode-agent`
 * and, when the image has no `oc` of its own (the OpenShift CLI's name), `oc`. They live in a
 * host folder mounted read-only at /opt/devaipod/shims, first on the workspace's PATH, so
 * nothing is installed in the image and no sudo is needed; links in /usr/local/bin reach the
 * login shells, whose profile resets PATH ({@link linkShims}).
 */
import { join } from "node:path";
import { AGENT_BIN, AGENT_PORT, PASSWORD_FILE, SHIMS_DIR } from "../plan/pod_plan.ts";
import { linkShimsCommand, SHIM_LINK_DIR } from "../plan/shim_links.ts";
import { containerExec, type ExecResult, type PodmanCommand } from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";

/** The shim script: `opencode attach` against the agent, with the password from its secret file. */
export function shimScript(
  agentBinary: string = AGENT_BIN,
  url = `http://127.0.0.1:${AGENT_PORT}`,
): string {
  return `#!/bin/sh
# devaipod: attach to this workspace's agent.
# The password travels in the environment, not on the command line (where ps would show it).
OPENCODE_SERVER_PASSWORD="$(cat ${PASSWORD_FILE})" exec ${agentBinary} attach "${url}" "$@"
`;
}

/**
 * The shim of a workspace whose agent is a CLI (Claude Code, Codex, …): it has no server to
 * attach to from here, so the shim says where its interface is, and fails.
 */
export function cliShimScript(title: string, workspace: string): string {
  return `#!/bin/sh
# devaipod: this workspace's agent is ${title}, a CLI in the agent container.
echo "this workspace's agent is ${title}: it runs in the agent container; from the host: devaipod attach ${workspace}" >&2
exit 1
`;
}

/**
 * Writes `opencode-agent` (and `oc` when asked) into `dir`: for opencode, {@link shimScript};
 * for a CLI agent (`cliAgent`), {@link cliShimScript}.
 */
export async function writeShims(
  dir: string,
  options: {
    oc: boolean;
    agentBinary?: string;
    url?: string;
    cliAgent?: { title: string; workspace: string };
  },
): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const names = ["opencode-agent", ...(options.oc ? ["oc"] : [])];
  const script = options.cliAgent
    ? cliShimScript(options.cliAgent.title, options.cliAgent.workspace)
    : shimScript(options.agentBinary, options.url);
  for (const name of names) {
    const path = join(dir, name);
    await Deno.writeTextFile(path, script);
    await Deno.chmod(path, 0o755);
  }
  return names;
}

/** `podman exec` of {@link linkShimsCommand} as root in a workspace container (`up`, `start`). */
export function linkShimsExec(container: string): PodmanCommand<ExecResult> {
  return containerExec({ container, user: "0", command: linkShimsCommand() });
}

/**
 * Links the shims into /usr/local/bin of a running workspace container, as root, so that login
 * shells find them too (why: `lib/plan/shim_links.ts`). Returns one line for the user when a
 * name was left to the image's own file, or when the links could not be made; the workspace
 * works either way, and the shims' folder stays first on the container's PATH.
 */
export async function linkShims(podman: Podman, container: string): Promise<string[]> {
  const r = await podman.run(linkShimsExec(container));
  const kept = r.stdout.split("\n").filter(Boolean).map((name) =>
    `${SHIM_LINK_DIR}/${name} is the image's own: a login shell runs it, not devaipod's ${name}`
  );
  if (r.code === 0) return kept;
  const why = r.stderr.trim().split("\n").at(-1) || `exit ${r.code}`;
  return [
    ...kept,
    `cannot link the shims into ${SHIM_LINK_DIR} (${why}): a login shell finds them only as ${SHIMS_DIR}/NAME`,
  ];
}
