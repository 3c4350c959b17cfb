/**
 * `verify`'s provider-keys probe: the keys that the proxy holds for the agent must not be found
 * anywhere the agent can read: its processes' environments, its HOME, its secret files, /tmp.
 * The agent prints what it can read (the dump below); the host looks for the real values in it,
 * so no key is ever sent into the agent to search with. Pure but for the dump's text.
 */
import type { Probe } from "./verify.ts";

/** What the agent prints for the probe: every environment and file it can read there. */
export const KEY_DUMP_SCRIPT =
  'cat /proc/[0-9]*/environ 2>/dev/null; find "$HOME" /run/secrets /tmp -xdev -type f -size -2M ' +
  "-exec cat {} + 2>/dev/null; true";

/**
 * Judges the dump: `keys` are the real values (by variable) the proxy holds. Without any set
 * here, there is nothing to look for, which the probe says.
 */
export function judgeProviderKeys(
  dump: string | undefined,
  keys: Readonly<Record<string, string>>,
): Probe {
  const id = "provider-keys";
  const names = Object.keys(keys);
  if (!names.length) {
    return { id, ok: true, detail: "not probed: no provider key is set in this environment" };
  }
  if (dump === undefined) return { id, ok: false, detail: "the agent could not be read" };
  const found = names.filter((n) => (keys[n] ?? "").length >= 8 && dump.includes(keys[n] ?? ""));
  return found.length
    ? { id, ok: false, detail: `LEAK: the real ${found.join(", ")} is readable in the agent` }
    : {
      id,
      ok: true,
      detail: `no real ${names.join(", ")} in the agent's environments, HOME, secrets or /tmp`,
    };
}
