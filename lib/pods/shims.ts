/**
 * The commands that connect the human to the agent from inside the workspace: `opencode-agent`
 * and, when the image has no `oc` of its own (the OpenShift CLI's name), `oc`. They live in a
 * host folder mounted read-only at /opt/devaipod/shims, first on the workspace's PATH, so
 * nothing is installed in the image and no sudo is needed.
 */
import { join } from "node:path";
import { AGENT_BIN, AGENT_PORT, PASSWORD_FILE } from "../plan/pod_plan.ts";

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

/** Writes `opencode-agent` (and `oc` when asked) into `dir`. */
export async function writeShims(
  dir: string,
  options: { oc: boolean; agentBinary?: string; url?: string },
): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const names = ["opencode-agent", ...(options.oc ? ["oc"] : [])];
  for (const name of names) {
    const path = join(dir, name);
    await Deno.writeTextFile(path, shimScript(options.agentBinary, options.url));
    await Deno.chmod(path, 0o755);
  }
  return names;
}
